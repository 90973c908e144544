"""The CLI edge: every error becomes one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ArchiveBuilder
from vetpy.cli import features_cmd
from vetpy.cli.main import main
from vetpy.errors import ModelError


def _raise(exc: BaseException) -> object:
    def run(args: argparse.Namespace) -> int:
        raise exc

    return run


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            ModelError("model.json: schema differs\nretrain"),
            "vetpy: error: model.json: schema differs retrain",
        ),
        (RuntimeError("boom"), "vetpy: internal error: RuntimeError: boom"),
    ],
)
def test_errors_are_one_line_without_traceback(
    exc: BaseException, expected: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(features_cmd, "run", _raise(exc))
    assert main(["features"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == expected and "Traceback" not in err


#: Libraries only the index client, the service, training or the progress bar need.
HEAVY = {"httpx", "httpx2", "unearth", "pip", "sklearn", "scipy", "skops", "joblib", "fastapi", "uvicorn"}


def _imported_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages (and urllib.request) a fresh interpreter has imported after ``code``."""
    probe = (
        f"{code}\nimport sys\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} | "
        "({'urllib.request'} & set(sys.modules)))))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True, timeout=120
    )
    return set(run.stdout.split())


def test_importing_the_entry_point_loads_no_heavy_library() -> None:
    loaded = _imported_after("import vetpy.cli.main")
    assert loaded & (HEAVY | {"rich", "numpy", "urllib.request"}) == set()
    assert "vetpy" in loaded


def test_scanning_a_local_archive_loads_neither_the_index_client_nor_the_lab(
    tmp_path: Path, make_archive: ArchiveBuilder
) -> None:
    """A local scan (cache on, the default) never reads pip's configuration or imports the HTTP
    stack of the index client; JSON output without OSV needs neither rich nor urllib.request."""
    archive = tmp_path / "demo-1.0.tar.gz"
    archive.write_bytes(make_archive({"demo-1.0/demo.py": b"X = 1\n"}))
    env = {**os.environ, "VETPY_CACHE": str(tmp_path / "cache")}
    scan = (
        f"from vetpy.cli.main import main\nmain(['scan', '--format', 'json', '--no-osv', {str(archive)!r}])"
    )
    loaded = _imported_after(scan, env)
    assert loaded & (HEAVY | {"rich", "urllib.request"}) == set()
    assert "numpy" in loaded  # the model did score it
    text = _imported_after(scan.replace("'--format', 'json', '--no-osv', ", ""), env)
    assert text & HEAVY == set()
    assert {"rich", "urllib.request"} <= text  # the table, and the OSV lookup
    assert (tmp_path / "cache" / "scan" / "results.sqlite").is_file()  # the result cache was used


def test_blas_gets_one_thread_unless_training_or_chosen_by_the_user() -> None:
    probe = "import os\nfrom vetpy.cli.main import main\nmain({argv!r})\nprint(os.environ.get({name!r}))"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    }

    def threads(argv: list[str], **extra: str) -> str:
        code = probe.format(argv=argv, name="OPENBLAS_NUM_THREADS")
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**env, **extra}, timeout=120
        )
        return run.stdout.split()[-1]

    assert threads(["--version"]) == "1"
    assert threads(["train", "--help"]) == "None"  # training keeps every BLAS thread
    assert threads(["--version"], OMP_NUM_THREADS="4") == "None"  # the user's choice stands
    assert threads(["--version"], OPENBLAS_NUM_THREADS="3") == "3"
