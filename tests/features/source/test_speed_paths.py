"""The source pass's shortcuts change nothing: the exact bounded walk, the flow gate, files on several
processes."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import vetpy.features.source.state as state_module
from vetpy.acquire.interface import Member
from vetpy.features import calls
from vetpy.features.source import pool
from vetpy.features.source.astutil import SUBTREE_BUDGET, bounded_walk
from vetpy.features.source.scan import scan_source
from vetpy.features.source.state import may_reach_sink

STDLIB_SAMPLES = [inspect, ast, pytest]


def _reference_walk(node: ast.AST) -> list[ast.AST]:
    stack, out = [node], []
    while stack and len(out) < SUBTREE_BUDGET:
        cur = stack.pop()
        out.append(cur)
        stack.extend(ast.iter_child_nodes(cur))
    return out


@pytest.mark.parametrize("module", STDLIB_SAMPLES, ids=lambda m: m.__name__)
def test_bounded_walk_is_the_reference_walk(module: object) -> None:
    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))  # type: ignore[arg-type]
    for node in ast.walk(tree):
        assert list(bounded_walk(node)) == _reference_walk(node)


def _sink_calls() -> list[str]:
    names = [q for q, feats in calls.EXACT.items() if calls.SINK_FEATURES.intersection(feats)]
    names += [q for q in calls.SEND_NAMES | calls.EXEC_NAMES]
    names += [
        prefix + ("run" if prefix.endswith(".") else "v")
        for prefix, feats in calls.PREFIX
        if calls.SINK_FEATURES.intersection(feats)
    ]
    return names


@pytest.mark.parametrize("qualname", _sink_calls())
def test_every_sink_call_opens_the_gate(qualname: str) -> None:
    module, _, attr = qualname.rpartition(".")
    attr = attr or qualname
    if module in ("", "*", "builtins"):
        sources = [f"{attr}(x)", f"obj.{attr}(x)"]
    else:
        sources = [f"import {module}\n{module}.{attr}(x)", f"from {module} import {attr} as y\ny(x)"]
    for source in sources:
        assert may_reach_sink(source), source


def test_gate_closed_and_open() -> None:
    assert not may_reach_sink("def add(a, b):\n    return a + b  # output, input, postal, sockets_count\n")
    assert may_reach_sink("m = __import__('\\x73ocket')\n")
    assert may_reach_sink("ｅｘｅｃ(code)\n")  # NFKC makes this exec


@pytest.mark.parametrize("module", STDLIB_SAMPLES, ids=lambda m: m.__name__)
def test_closed_gate_changes_no_fact(module: object, monkeypatch: pytest.MonkeyPatch) -> None:
    text = Path(inspect.getfile(module)).read_text(encoding="utf-8")  # type: ignore[arg-type]
    text = "\n".join(line for line in text.splitlines() if not state_module.FLOW_MARKS.search(line))
    text = ast.unparse(ast.parse(text)) if _parses(text) else "x = 1\n"
    assert not may_reach_sink(text) or not text.isascii()
    gated = scan_source("m.py", text)
    monkeypatch.setattr(state_module, "may_reach_sink", lambda _text: True)
    assert scan_source("m.py", text) == gated


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def test_files_on_several_processes_equal_one(monkeypatch: pytest.MonkeyPatch) -> None:
    body = Path(inspect.getfile(inspect)).read_bytes()
    members = [Member(f"pkg/m{i}.py", body + f"\nX{i} = {i}\n".encode()) for i in range(24)]
    members.insert(0, Member("setup.py", b"import os\nos.system('echo hi')\n"))
    monkeypatch.setattr(pool, "MIN_PARALLEL_BYTES", 1000)
    serial = pool.scan_members(members, "setup.py")
    pool.set_file_jobs(2)
    try:
        assert pool._parallel(members)
        parallel = pool.scan_members(members, "setup.py")
    finally:
        pool.set_file_jobs(1)
    assert parallel == serial
    assert [f.path for f in parallel] == [m.path for m in members]
