"""Package files not named like Python that the package runs as Python.

A payload need not sit in a ``.py`` file: ``exec(open(os.path.join(here, "data.bin")).read())``,
``runpy.run_path("assets/x.txt")`` or a ``SourceFileLoader`` over a ``.dat`` run whatever that file holds,
and a reader that only parses ``.py`` files would judge the package on the loader line alone. Here a
member that is not a Python, ``.pth``, compiled or archive file is read as Python source when a Python
file that runs code (``exec``, ``eval``, ``compile``, ``runpy``, a source loader) spells its name in a
string literal (its base name, or a path ending in it) and it parses as a module that imports or calls
something: its facts join the package's like any module's, with evidence at its own lines. A JSON,
version or template file named beside an unrelated ``eval`` adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from vetpy.acquire.interface import Member
from vetpy.features.paths import member_path
from vetpy.features.source.facts import FileFacts
from vetpy.features.source.scan import scan_source
from vetpy.features.source.text import PY_SUFFIXES, decode_source

#: Call tokens of a file that runs code it may have read from a file.
RUNNER_TOKENS = frozenset(
    {
        "call:exec",
        "call:eval",
        "call:compile",
        "call:execfile",
        "call:runpy.run_path",
        "call:runpy.run_module",
        "call:importlib.machinery.SourceFileLoader",
        "call:importlib.util.spec_from_file_location",
        "call:importlib.util.spec_from_loader",
    }
)
MAX_RUN_FILES = 16  # members read as Python this way, per package
MAX_RUN_FILE_BYTES = 2_000_000
_QUOTED = re.compile(r"""["']([^"'\n]{1,200})["']""")
_NOT_CODE = (*PY_SUFFIXES, ".pth", ".pyc", ".so", ".pyd", ".dll", ".exe", ".whl", ".zip", ".gz")


def runs_code(facts: FileFacts) -> bool:
    """Whether a scanned Python file calls something that runs code it is given."""
    return not RUNNER_TOKENS.isdisjoint(facts.tokens)


def _candidates(members: Iterable[Member]) -> dict[str, list[Member]]:
    by_name: dict[str, list[Member]] = {}
    for m in members:
        name = member_path(m.path).name
        lower = name.lower()
        if not name or lower.endswith(_NOT_CODE) or len(m.data) > MAX_RUN_FILE_BYTES:
            continue
        if b"\x00" in m.data[:4096]:
            continue
        by_name.setdefault(name, []).append(m)
    return by_name


def named_members(members: Sequence[Member], runner_texts: Sequence[str]) -> list[Member]:
    """The non-Python members whose names the code-running files spell in a string literal, in archive
    order, at most :data:`MAX_RUN_FILES`."""
    if not runner_texts:
        return []
    by_name = _candidates(members)
    if not by_name:
        return []
    wanted: set[str] = set()
    for text in runner_texts:
        for quoted in _QUOTED.findall(text):
            base = quoted.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
            if base in by_name:
                wanted.add(base)
    picked = [m for name, ms in by_name.items() if name in wanted for m in ms]  # archive order
    return picked[:MAX_RUN_FILES]


def scan_data_code(members: Sequence[Member], runner_texts: Sequence[str]) -> list[FileFacts]:
    """The facts of each named member (:func:`named_members`) that parses as Python and imports or calls
    something (a JSON or version file parses too, and holds neither)."""
    found = []
    for m in named_members(members, runner_texts):
        facts = scan_source(m.path, decode_source(m.data), data=m.data)
        if facts.parsed and any(t.startswith(("import:", "call:")) for t in facts.tokens):
            found.append(facts)
    return found
