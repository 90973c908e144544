"""The paper's numeric features, name/version, suspicious-lines text."""

from __future__ import annotations

from featurepkgs import make_archive, pkg_info
from vetpy.features.extract import extract_features
from vetpy.features.registry import FEATURE_IDS

PLAIN_SETUP = "from setuptools import setup\nsetup(name='demo', version='1.0')\n"


def values(files: dict[str, str | bytes], **kw: object) -> dict[str, float]:
    return dict(extract_features(make_archive(files, **kw)).values)  # type: ignore[arg-type]


def test_every_registry_feature_is_filled() -> None:
    f = extract_features(make_archive({"setup.py": PLAIN_SETUP}))
    assert list(f.values) == list(FEATURE_IDS)
    assert all(isinstance(v, float) for v in f.values.values())
    assert (f.name, f.version) == ("demo", "1.0")


def test_name_version_from_filename_without_pkg_info() -> None:
    f = extract_features(make_archive({"setup.py": PLAIN_SETUP}, name="thing", version="2.3", pkg_info=None))
    assert (f.name, f.version) == ("thing", "2.3")
    assert f.values["meta.missing_pkg_info"] == 1.0


def test_homepage_valid_vs_invalid() -> None:
    good = pkg_info(home_page="https://github.com/someone/demo")
    assert values({"setup.py": PLAIN_SETUP}, pkg_info=good)["paper.homepage_invalid"] == 0.0
    for bad in ("http://github.com/someone/demo", "https://example.invalid/demo", "UNKNOWN"):
        meta = pkg_info(home_page=bad)
        assert values({"setup.py": PLAIN_SETUP}, pkg_info=meta)["paper.homepage_invalid"] == 1.0, bad
    assert values({"setup.py": PLAIN_SETUP})["paper.homepage_invalid"] == 1.0


def test_homepage_from_project_url() -> None:
    meta = pkg_info(project_url="Source, https://gitlab.com/x/demo")
    assert values({"setup.py": PLAIN_SETUP}, pkg_info=meta)["paper.homepage_invalid"] == 0.0


def test_author_email_domain() -> None:
    for ok in ("dev@gmail.com", "Jane <jane@cs.stanford.edu>", "x@mail.protonmail.com"):
        assert values({}, pkg_info=pkg_info(author_email=ok))["paper.author_email_invalid"] == 0.0, ok
    for bad in ("dev@example.invalid", "not-an-email", ""):
        assert values({}, pkg_info=pkg_info(author_email=bad))["paper.author_email_invalid"] == 1.0, bad


def test_install_hook() -> None:
    hooked = (
        "from setuptools import setup\nfrom setuptools.command.install import install\n"
        "class Post(install):\n    def run(self):\n        install.run(self)\n"
        "setup(name='demo', cmdclass={'install': Post})\n"
    )
    f = extract_features(make_archive({"setup.py": hooked}))
    assert f.values["paper.install_hook"] == 1.0
    assert f.values["install.cmdclass"] == 1.0
    ev = f.evidence_for("install.cmdclass")
    assert ev and ev[0].file == "demo-1.0/setup.py" and ev[0].line == 3
    plain = extract_features(make_archive({"setup.py": PLAIN_SETUP}))
    assert plain.values["paper.install_hook"] == 0.0 and plain.values["install.cmdclass"] == 0.0


def test_suspicious_url() -> None:
    for code in (
        "u = 'http://github.com/a'\n",
        "u = 'https://example.invalid/a'\n",
        "u = 'https://198.51.100.7/x'\n",
    ):
        assert values({"pkg/mod.py": code})["paper.suspicious_url"] == 1.0, code
    for code in (
        "u = 'https://github.com/a'\n",
        "u = 'http://127.0.0.1:8000/'\n",
        "v = '1.2.3'\n",
        "ip = '10.0.0.5'\n",
    ):
        assert values({"pkg/mod.py": code})["paper.suspicious_url"] == 0.0, code


def test_long_string_excludes_docstrings() -> None:
    init = "pkg/__init__.py"  # a file the fast pass always analyses (runs on import)
    assert values({init: "x = '" + "a" * 41 + "'\n"})["paper.long_string"] == 1.0
    assert values({init: "x = '" + "a" * 40 + "'\n"})["paper.long_string"] == 0.0
    assert values({init: '"""' + "a doc " * 20 + '"""\n'})["paper.long_string"] == 0.0


def test_minimal_setup_cfg() -> None:
    default = "[egg_info]\ntag_build = \ntag_date = 0\n\n"
    assert values({"setup.cfg": default})["paper.minimal_setup_cfg"] == 1.0
    real = "[metadata]\nname = demo\n\n[egg_info]\ntag_build = \ntag_date = 0\n"
    assert values({"setup.cfg": real})["paper.minimal_setup_cfg"] == 0.0
    assert values({})["paper.minimal_setup_cfg"] == 0.0


MIT_TEXT = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy"
GPL_TEXT = "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n"


def test_license_mismatch() -> None:
    mit_cls = "License :: OSI Approved :: MIT License"
    agree = pkg_info(license="MIT", classifier=mit_cls)
    assert values({"LICENSE": MIT_TEXT}, pkg_info=agree)["paper.license_mismatch"] == 0.0
    assert values({"LICENSE": GPL_TEXT}, pkg_info=agree)["paper.license_mismatch"] == 1.0
    field_vs_classifier = pkg_info(license="Apache 2.0", classifier=mit_cls)
    f = extract_features(make_archive({}, pkg_info=field_vs_classifier))
    assert f.values["paper.license_mismatch"] == 1.0
    assert "apache" in f.evidence_for("paper.license_mismatch")[0].message


def test_suspicious_text_keeps_setup_and_suspicious_lines() -> None:
    f = extract_features(
        make_archive(
            {
                "setup.py": "NAME = 'Demo'\n" + PLAIN_SETUP,
                "pkg/util.py": "X = 1\ndata = OPEN('f').read()\nY = 2\n",
                "pkg/net.py": "A = 1\nu = 'http://example.invalid/'\n",
            }
        )
    )
    text = f.suspicious_text
    assert "name = 'demo'" in text  # all of setup.py, lower-cased
    assert "data = open('f').read()" in text
    assert "x = 1" not in text and "y = 2" not in text
    assert "a = 1" in text  # whole file kept because of its suspicious URL


def test_hook_matches_are_the_regex_finditer() -> None:
    """The install-hook search tried only where a literal of the pattern starts gives finditer's matches
    (spans and texts), and the first one search's, on seeded texts of the pattern's pieces (word
    boundaries, non-ASCII word characters, lone surrogates) and on vetpy's own sources."""
    import random
    from pathlib import Path

    import vetpy
    from vetpy.features.paper import INSTALL_HOOK_RE, hook_matches, install_hook_line

    pieces = [
        *("cmdclass", "cmd", "class", "class ", "class\t", "Foo", "\u00f1", "(", ")", " ", "\n", "_", "x"),
        *("install", "_install", "develop", "egg_info", "install.run", "install.run(", ".run", "re"),
        *("setuptools.command.", "setuptools.command.install", "distutils.command.install", "\ud800"),
        *("setuptools.command.egg_info", "\u00e9", "\U0001f600", "cmdclasscmdclass", "install.run ("),
    ]
    rng = random.Random(20261202)
    texts = [p.read_text("utf-8") for p in sorted(Path(vetpy.__file__).parent.rglob("*.py"))]
    texts += ["".join(rng.choices(pieces, k=rng.randint(1, 30))) for _ in range(20_000)]
    hits = 0
    for text in texts:
        want = [(m.span(), m.group(0)) for m in INSTALL_HOOK_RE.finditer(text)]
        assert [(m.span(), m.group(0)) for m in hook_matches(text)] == want, repr(text[:200])
        first = INSTALL_HOOK_RE.search(text)
        assert install_hook_line(text) == (first.group(0) if first else None)
        hits += len(want)
    assert hits > 20_000
