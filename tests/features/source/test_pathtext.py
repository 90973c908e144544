"""Paths built at run time read as the text they name, and scanned like string literals.

Every package here is defanged source text built in memory: nothing is run."""

from __future__ import annotations

import ast

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.pathtext import PathText, join, path_root

ALIASES = {"os": "os", "Path": "pathlib.Path", "tempfile": "tempfile", "pathlib": "pathlib"}


def _resolve(node: ast.AST) -> str | None:
    parts: list[str] = []
    cur = node
    while isinstance(cur, ast.Attribute):
        parts.append(cur.attr)
        cur = cur.value
    if isinstance(cur, ast.Name) and cur.id in ALIASES:
        return ".".join([ALIASES[cur.id], *reversed(parts)])
    if isinstance(cur, ast.Name) and cur.id == "str":
        return "str"
    return "*." + parts[0] if parts else None


def read(expr: str, names: dict[str, str] | None = None) -> str | None:
    node = ast.parse(expr, mode="eval").body
    return PathText(_resolve, (names or {}).get).read(node)


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (
            "os.path.join(os.getenv('APPDATA'), 'Microsoft', 'Windows', 'Start Menu', 'Programs', 'Startup')",
            "<APPDATA>/Microsoft/Windows/Start Menu/Programs/Startup",
        ),
        ("os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa')", "~/.ssh/id_rsa"),
        ("Path.home() / '.aws' / 'credentials'", "~/.aws/credentials"),
        ("Path('~').expanduser().joinpath('.kube', 'config')", "~/.kube/config"),
        ("os.environ['USERPROFILE'] + '\\\\.git-credentials'", "~\\.git-credentials"),
        ("os.path.join(tempfile.gettempdir(), folder, 'x.py')", "<TEMP>/<?>/x.py"),
        ("f'{base}/autostart/{name}.desktop'", "<?>/autostart/<?>.desktop"),
        ("os.path.join(d, 'helper.service')", "~/.config/systemd/user/helper.service"),
    ],
)
def test_built_paths_read_as_text(expr: str, text: str) -> None:
    assert read(expr, {"d": "~/.config/systemd/user"}) == text


def test_nothing_known_reads_as_nothing() -> None:
    assert read("os.path.join(a, b)") is None  # no text of its own: nothing to scan
    assert read("os.path.join(" * 30 + "'a'" + ")" * 30) is None  # too deep to read
    assert read("os.path.join(" * 5 + "'a'" + ")" * 5) == "a"
    assert join(["~/", ".bashrc"]) == "~/.bashrc"


def test_where_a_path_reading_starts() -> None:
    def root(expr: str) -> bool:
        return path_root(ast.parse(expr, mode="eval").body, _resolve, {"base"}.__contains__)

    assert root("os.path.join(a, 'b')") and root("Path.home() / 'x'") and root("base / 'x'")
    assert root("os.path.expanduser('~') + '/.bashrc'") and root("os.environ['HOME'] + '/x'")
    assert not root("a / 2") and not root("'a' + 'b'") and not root("total / count")


def features(code: str) -> PackageFeatures:
    return extract_features(make_archive({"pkg/mod.py": code}))


def hits(f: PackageFeatures, feature: str) -> list[int | None]:
    return [e.line for e in f.evidence_for(feature)]


def test_a_startup_folder_built_by_a_join_is_a_startup_path() -> None:
    f = features(
        "import os\n\n"
        "def enable():\n"
        "    return os.path.join(os.getenv('APPDATA'), 'Microsoft', 'Windows', 'Start Menu',\n"
        "                        'Programs', 'Startup')\n"
    )
    assert f.values["code.startup_write"] > 0 and hits(f, "code.startup_write") == [4]
    assert "str:startup_path" in f.code_text.split()


@pytest.mark.parametrize(
    "expr",
    [
        "os.path.join(os.path.expanduser('~'), '.aws', 'credentials')",
        "pathlib.Path.home() / '.docker' / 'config.json'",
        "pathlib.Path(os.environ['HOME']).joinpath('.kube', 'config')",
        "os.path.expanduser('~') + '/.ss' + 'h/known_hosts'",
    ],
)
def test_credential_paths_built_at_run_time(expr: str) -> None:
    f = features(f"import os\nimport pathlib\n\ndef load():\n    return open({expr}).read()\n")
    assert f.values["code.credential_read"] > 0 and hits(f, "code.credential_read") == [5]
    assert "str:credential_path" in f.code_text.split()


def test_honest_paths_stay_quiet() -> None:
    f = features(
        "import os\nfrom pathlib import Path\n\n"
        "def settings():\n"
        "    return os.path.join(os.path.expanduser('~'), '.config', 'myapp', 'settings.toml')\n\n"
        "def data(n):\n"
        "    return Path.home() / '.cache' / 'myapp' / f'{n}.json', n / 2\n"
    )
    assert f.values["code.startup_write"] == 0 and f.values["code.credential_read"] == 0


def test_a_pattern_one_part_shows_counts_once() -> None:
    """``'id_rsa'`` alone is a credential path: the join that holds it adds no second hit."""
    f = features(
        "import os\n\ndef key():\n    return os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa')\n"
    )
    assert len(hits(f, "code.credential_read")) == 1


def test_strings_built_inside_a_path_are_still_folded_once() -> None:
    """A run of constants inside a join is the string folder's: its URL is found, its pattern counted once."""
    f = features(
        "import os\n\ndef f(d):\n"
        "    return os.path.join(d, 'ht' + 'tp://203.0.113.9/x', '/etc/' + 'shadow')\n"
    )
    assert "str:url_raw_ip" in f.code_text.split()
    assert hits(f, "code.credential_read") == [4]
    f = features("import os\n\ndef f():\n    return os.path.expanduser('~') + '/.ss' + 'h/known_hosts'\n")
    assert hits(f, "code.credential_read") == [4]
