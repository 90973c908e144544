"""Finished cross-validation folds on disk, so an interrupted evaluation resumes where it stopped.

The paper's protocol is 10 repeats of 10 folds; on a small machine that is hours per model. Each fold's
metrics are appended to a JSON-lines file in the cache as soon as the fold ends. The file's name is a
hash of everything that decides a fold's outcome (model kind, protocol, fold count, the corpus, the
feature extractor, the model code and the scikit-learn version), so a stale fold is never reused: any
change starts a fresh log. Fold ``i`` is the same split whatever the number of repeats, so a 1-repeat run
is the first tenth of a 10-repeat run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import sklearn

from vetpy.lab.dataset.extraction import code_digest, extractor_fingerprint
from vetpy.lab.dataset.paths import cache_dir


def fold_log_key(kind: str, protocol: str, folds: int, data_id: str) -> str:
    """The identity of a CV run's folds: kind, protocol, fold count, corpus, extractor and model code."""
    model_code = code_digest(Path(__file__).resolve().parent)
    parts = [kind, protocol, str(folds), data_id, extractor_fingerprint(), model_code, sklearn.__version__]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


class FoldLog:
    """Append-only per-fold metrics of one CV run, keyed by fold index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[int, dict[str, Any]] = {}
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        self._cut_short = bool(text) and not text.endswith("\n")
        if text:
            for line in text.splitlines():
                try:
                    entry = json.loads(line)
                    self.done[int(entry["fold"])] = dict(entry["metrics"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by an interruption: that fold runs again

    @classmethod
    def for_run(cls, kind: str, protocol: str, folds: int, data_id: str, root: Path | None = None) -> FoldLog:
        base = (root or cache_dir()) / "evaluate"
        return cls(base / f"{kind}-{protocol}-{fold_log_key(kind, protocol, folds, data_id)}.jsonl")

    def clear(self) -> None:
        """Forget every saved fold (``vetpy evaluate --fresh``)."""
        self.path.unlink(missing_ok=True)
        self.done.clear()
        self._cut_short = False

    def get(self, fold: int) -> dict[str, Any] | None:
        return self.done.get(fold)

    def record(self, fold: int, metrics: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            if self._cut_short:  # start after the broken line, not inside it
                fh.write("\n")
                self._cut_short = False
            fh.write(json.dumps({"fold": fold, "metrics": metrics}) + "\n")
        self.done[fold] = metrics
