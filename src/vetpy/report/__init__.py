"""Report: render scan results as text (rich), JSON, SARIF 2.1.0 or Markdown (pull-request comments)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from vetpy.redact import redact
from vetpy.result import ScanResult


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"


def render(results: Sequence[ScanResult], fmt: Format | str, *, model: str, color: bool = False) -> str:
    """The whole report for ``results`` in one format, as a string ending with a newline."""
    match Format(fmt):  # each format's module is imported only when it is asked for
        case Format.TEXT:
            from vetpy.report import text

            report = text.render(results, model=model, color=color)
        case Format.JSON:
            from vetpy.report import json as json_report

            report = json_report.render(results, model=model)
        case Format.SARIF:
            from vetpy.report import sarif

            report = sarif.render(results, model=model)
        case Format.MARKDOWN:
            from vetpy.report import markdown

            report = markdown.render(results, model=model)
    return redact(report)  # the last edge before any report leaves vetpy: no login or token in it


__all__ = ["Format", "render"]
