"""The CLI edge: every error becomes one line on stderr, never a traceback."""

from __future__ import annotations

import argparse

import pytest

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
