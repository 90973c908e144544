"""Where code runs: test suites and maintainer-only setup.py branches are not judged as install- or
import-time code, and a payload cannot hide behind a test-like name that package code imports."""

from __future__ import annotations

import ast
import inspect
import random
from pathlib import Path

import pytest

from featurepkgs import make_archive
from vetpy.features import roles
from vetpy.features.extract import extract_features
from vetpy.features.roles import (
    SourceFile,
    dev_only_branches,
    dev_only_spans,
    install_time_setup,
    looks_like_test,
    suite_only_files,
)

# A defanged "payload": several behaviours at module level (download and run, raw IP, Windows registry).
BUSY = (
    "import os, socket, subprocess, urllib.request, winreg\n"
    "data = urllib.request.urlopen('http://10.0.0.1:8080/x').read()\n"
    "subprocess.run(['true'])\n"
    "key = winreg.OpenKey(winreg.HKEY_CURRENT_USER, 'Software')\n"
    "token = os.environ.get('HOME')\n"
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pkg-1.0/tests/test_utils.py", True),
        ("pkg-1.0/test/helpers.py", True),
        ("pkg-1.0/src/pkg/tests/__init__.py", True),
        ("pkg-1.0/conftest.py", True),
        ("pkg-1.0/pkg/util_test.py", True),
        ("pkg-1.0/pkg/utils.py", False),
        ("pkg-1.0/pkg/testing/__init__.py", False),  # numpy.testing is importable package code
        ("pkg-1.0/pkg/contest.py", False),
    ],
)
def test_looks_like_test(path: str, expected: bool) -> None:
    assert looks_like_test(path) is expected


def test_test_file_imported_by_package_code_stays_package_code() -> None:
    files = [
        SourceFile("p-1/pkg/__init__.py", "from pkg.test_helpers import run\n"),
        SourceFile("p-1/pkg/test_helpers.py", BUSY),
        SourceFile("p-1/tests/test_api.py", BUSY),
    ]
    assert suite_only_files(files) == frozenset({"p-1/tests/test_api.py"})


def test_a_test_suite_does_not_count_as_running_code() -> None:
    with_tests = extract_features(make_archive({"pkg/__init__.py": "X = 1\n", "tests/test_net.py": BUSY}))
    as_module = extract_features(make_archive({"pkg/__init__.py": "X = 1\n", "pkg/net.py": BUSY}))
    assert as_module.values["install.import_time_payload"] == 1.0
    assert as_module.values["code.max_file_behaviours"] >= 3
    assert with_tests.values["install.import_time_payload"] == 0.0
    assert with_tests.values["code.max_file_behaviours"] == 0.0
    assert with_tests.values["code.raw_ip"] == 0.0
    assert "pair:" not in with_tests.code_text


def test_a_payload_named_like_a_test_but_imported_is_still_seen() -> None:
    files = {"pkg/__init__.py": "from . import test_net\n", "pkg/test_net.py": BUSY}
    features = extract_features(make_archive(files))
    assert features.values["install.import_time_payload"] == 1.0


PUBLISH = (
    "import os, sys\n"
    "from setuptools import setup\n"
    "if sys.argv[-1] == 'publish':\n"
    "    os.system('twine upload dist/*')\n"
    "    sys.exit()\n"
    "setup(name='demo')\n"
)


def test_publish_shortcut_is_not_install_time() -> None:
    assert dev_only_branches(PUBLISH) == [(4, 5)]
    cleaned = install_time_setup(PUBLISH)
    assert "os.system" not in cleaned
    assert cleaned.count("\n") == PUBLISH.count("\n")  # line numbers kept
    features = extract_features(make_archive({"setup.py": PUBLISH}))
    assert features.values["install.setup_suspicious"] == 0.0
    assert features.values["code.os_system"] == 0.0


@pytest.mark.parametrize(
    "condition",
    [
        "sys.argv[-1] == 'install'",  # pip's own command: runs on install
        "sys.argv[1] != 'publish'",  # true on install
        "'publish' not in sys.argv",
        "len(sys.argv) > 1",
        "sys.argv[1] in ('publish', 'bdist_wheel')",  # one of them runs on install
        "'publish' in sys.argv or os.name == 'nt'",
    ],
)
def test_branches_pip_can_take_stay_install_time(condition: str) -> None:
    code = f"import os, sys\nif {condition}:\n    os.system('echo hi')\n"
    assert dev_only_branches(code) == []
    features = extract_features(make_archive({"setup.py": code}))
    assert features.values["install.setup_suspicious"] == 1.0


@pytest.mark.parametrize(
    "condition",
    ["'upload' in sys.argv", "sys.argv[1] in ('release', 'tag')", "sys.argv[-1] == 'publish' and True"],
)
def test_maintainer_commands_are_dev_only(condition: str) -> None:
    code = f"import os, sys\nif {condition}:\n    os.system('echo hi')\nelse:\n    pass\n"
    assert dev_only_branches(code) == [(3, 3)]


def test_else_branch_of_a_dev_only_guard_still_runs() -> None:
    code = "import os, sys\nif sys.argv[-1] == 'publish':\n    pass\nelse:\n    os.system('echo hi')\n"
    features = extract_features(make_archive({"setup.py": code}))
    assert features.values["install.setup_suspicious"] == 1.0


def test_setup_that_does_not_parse_is_left_alone() -> None:
    assert install_time_setup("if sys.argv[-1] == 'x'\n  oops(") == "if sys.argv[-1] == 'x'\n  oops("


CMDCLASS = "from setuptools import setup\nfrom x import C\nsetup(name='d', cmdclass={cmds})\n"


@pytest.mark.parametrize(
    ("cmds", "fires"),
    [
        ("{'test': C}", False),
        ("{'upload': C, 'test': C}", False),
        ("{'install': C}", True),
        ("{'test': C, 'egg_info': C}", True),
        ("COMMANDS", True),  # not a literal: cannot tell, counts
        ("{name: C}", True),
    ],
)
def test_cmdclass_counts_only_for_commands_pip_runs(cmds: str, fires: bool) -> None:
    features = extract_features(make_archive({"setup.py": CMDCLASS.format(cmds=cmds)}))
    assert (features.values["install.cmdclass"] == 1.0) is fires
    assert (features.values["paper.install_hook"] == 1.0) is fires


def test_a_package_made_only_of_test_named_files_is_judged_on_them() -> None:
    files = {"tests/__init__.py": BUSY, "setup.py": "from setuptools import setup\nsetup(name='tests')\n"}
    features = extract_features(make_archive(files, name="tests"))
    assert features.values["install.import_time_payload"] == 1.0
    assert suite_only_files([SourceFile("tests/__init__.py", BUSY)]) == frozenset()


UPLOAD = (
    "import os, sys\n"
    "from setuptools import setup, Command\n"
    "class UploadCommand(Command):\n"
    "    user_options = []\n"
    "    def run(self):\n"
    "        os.system('twine upload dist/*')\n"
    "        sys.exit()\n"
    "setup(name='demo', cmdclass={{'{key}': UploadCommand}})\n"
)


def test_methods_of_a_maintainer_only_command_are_not_install_time() -> None:
    code = UPLOAD.format(key="upload")
    assert dev_only_spans(code) == [(6, 7)]
    cleaned = install_time_setup(code)
    assert "os.system" not in cleaned and cleaned.count("\n") == code.count("\n")
    features = extract_features(make_archive({"setup.py": code}))
    assert features.values["install.setup_suspicious"] == 0.0
    assert features.values["code.os_system"] == 0.0


@pytest.mark.parametrize(
    "code",
    [
        UPLOAD.format(key="install"),  # replaces a command pip runs
        UPLOAD.format(key="upload") + "UploadCommand().run()\n",  # also called directly
        UPLOAD.format(key="upload").replace("'upload'", "name"),  # a computed key
        UPLOAD.format(key="upload").replace("    user_options = []\n", "    os.system('id')\n"),  # class body
    ],
)
def test_commands_pip_can_reach_stay_install_time(code: str) -> None:
    features = extract_features(make_archive({"setup.py": code}))
    assert features.values["install.setup_suspicious"] == 1.0


def test_a_default_value_of_a_dev_only_method_still_runs() -> None:
    code = UPLOAD.format(key="upload").replace("def run(self):", "def run(self, x=os.system('id')):")
    assert "os.system('id')" in install_time_setup(code)


def _plain_imported_names(text: str) -> set[str]:
    names: set[str] = set()
    for module, imported in roles._IMPORT.findall(text):
        names.update(roles._WORD.findall(module))
        names.update(w for w in roles._WORD.findall(imported) if w != "as")
    return names


def test_imported_names_are_those_of_the_whole_text_regex() -> None:
    rng = random.Random(9)
    pieces = ["import ", "from ", "a.b", " as ", "c", ", ", "#", ";", "\n", "  ", "\t", "x = 1", "important"]
    pieces += ["reimport ", "(", ")", "\r\n", "\xe9"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    texts += [Path(inspect.getfile(m)).read_text(encoding="utf-8") for m in (inspect, ast, random)]
    for text in texts:
        assert roles.imported_names(text) == _plain_imported_names(text), repr(text[:200])
    assert roles.imported_names("x = 1\nfrom a.b import c as d  # e\nimport f; g\n") == {
        "a",
        "b",
        "c",
        "d",
        "f",
    }


def test_a_ci_script_in_a_hidden_folder_does_not_keep_the_test_suite() -> None:
    """pymongo's ``.evergreen/scripts/mod_wsgi_tester.py`` imports ``test``: a script there is never a
    package and never installed, so the suite stays a test suite; the same import from package code keeps
    it (the test above)."""
    files = [
        SourceFile("p-1/p/__init__.py", "import os\n"),
        SourceFile("p-1/.evergreen/scripts/tester.py", "from test import helpers\n"),
        SourceFile("p-1/test/__init__.py", ""),
        SourceFile("p-1/test/helpers.py", ""),
        SourceFile("p-1/test/test_api.py", ""),
    ]
    assert suite_only_files(files) == frozenset(
        {"p-1/test/__init__.py", "p-1/test/helpers.py", "p-1/test/test_api.py"}
    )
    files[1] = SourceFile("p-1/p/tools.py", "from test import helpers\n")
    assert suite_only_files(files) == frozenset()
