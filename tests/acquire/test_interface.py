"""Reading limits are checked when they are made: NaN, infinite or negative limits are refused."""

from __future__ import annotations

import math

import pytest

from vetpy.acquire.interface import Limits
from vetpy.cli.main import main
from vetpy.errors import VetpyError


@pytest.mark.parametrize("value", [math.nan, math.inf, -1, -0.5, "10", True])
def test_bad_limits_refused(value: object) -> None:
    with pytest.raises(VetpyError, match="limit max_seconds"):
        Limits(max_seconds=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", ["--max-seconds", "--max-ratio", "--max-members", "--max-member-bytes"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_bad_limit_flags_are_usage_errors(flag: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", flag, value, "x.tar.gz"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_parse_limit_matches_the_feature_stage() -> None:
    """Views decide "too large to parse" with the same bound the feature stage parses with."""
    from vetpy.acquire import views
    from vetpy.features.source import scan

    assert views.parses is scan.parses


def test_prefix_reads_match_the_feature_stage() -> None:
    """.pth and entry_points.txt files longer than what the feature stage reads make the scan incomplete."""
    import inspect

    from vetpy.acquire.views import READ_PREFIX
    from vetpy.features import gather

    source = inspect.getsource(gather)
    assert f"m.data[:{READ_PREFIX['.pth']:_}]" in source
    assert f"m.data[:{READ_PREFIX['entry_points.txt']:_}]" in source
