"""The runtime apart from the lab: scanning never imports the training libraries, and train/evaluate say
how to get them when they are missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vetpy.cli import progress
from vetpy.cli.main import main

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy", "skops", "matplotlib")
LIGHT = ("vetpy.lab.protocols",)  # names of model kinds and protocols, read by train's and evaluate's --help

# Runs the CLI with the training libraries made unimportable: any import of them fails the scan.
_BLOCKED_SCAN = """
import importlib.abc, json, sys
HEAVY = {heavy!r}
LIGHT = {light!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY or (name.startswith("vetpy.lab.") and name not in LIGHT):
            raise ImportError(f"blocked import of {{name}}")
        return None
sys.meta_path.insert(0, Block())
from vetpy.cli.main import main
code = main(["scan", {archive!r}, "--format", "json"])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY or m.startswith("vetpy.lab."))
print(json.dumps({{"code": code, "loaded": loaded}}))
"""


def test_scanning_never_imports_the_training_libraries() -> None:
    script = _BLOCKED_SCAN.format(
        heavy=HEAVY, light=LIGHT, archive=str(REPO / "examples" / "hello-0.1.0.tar.gz")
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["code"] == 0, done.stderr[-2000:]
    assert set(last["loaded"]) <= set(LIGHT)  # `vetpy scan` imports only the scan command's parser now
    report = json.loads("\n".join(done.stdout.strip().splitlines()[:-1]))
    assert report  # the scan wrote its JSON report before the probe line


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_train_and_evaluate_name_the_extra_when_missing(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress.importlib.util, "find_spec", lambda name: None)
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert "pip install 'vetpy[train]'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
