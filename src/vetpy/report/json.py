"""The JSON report: ``{"vetpy_version", "model", "results": [ScanResult.to_dict(), ...]}``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from vetpy import __version__
from vetpy.result import ScanResult


def document(results: Sequence[ScanResult], *, model: str) -> dict[str, Any]:
    return {"vetpy_version": __version__, "model": model, "results": [r.to_dict() for r in results]}


def render(results: Sequence[ScanResult], *, model: str) -> str:
    return json.dumps(document(results, model=model), indent=2, ensure_ascii=False) + "\n"
