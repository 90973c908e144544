"""Report: render scan results as text (rich), JSON or SARIF 2.1.0."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from vetpy.result import ScanResult


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


def render(results: Sequence[ScanResult], fmt: Format | str, *, model: str, color: bool = False) -> str:
    """The whole report for ``results`` in one format, as a string ending with a newline."""
    from vetpy.report import json as json_report
    from vetpy.report import sarif, text

    match Format(fmt):
        case Format.TEXT:
            return text.render(results, model=model, color=color)
        case Format.JSON:
            return json_report.render(results, model=model)
        case Format.SARIF:
            return sarif.render(results, model=model)


__all__ = ["Format", "render"]
