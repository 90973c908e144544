"""argparse value types shared by the subcommands (a bad value is a usage error, exit 2)."""

from __future__ import annotations

import argparse
import math


def probability(text: str) -> float:
    """A number in [0, 1] (thresholds)."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"threshold must be between 0 and 1, got {value}")
    return value


def _positive(text: str, kind: type[int] | type[float], noun: str) -> float:
    try:
        value = kind(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not {noun}: {text!r}") from exc
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def positive_int(text: str) -> int:
    return int(_positive(text, int, "an integer"))


def positive_float(text: str) -> float:
    return float(_positive(text, float, "a number"))
