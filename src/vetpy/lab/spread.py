"""How far the hold-outs' figures move when only chance changes: the family hold-out repeated with other
fold draws, the location hold-out with other model seeds. Recall at a 0.1% false-positive budget sits on
the few highest-scored benign releases, and one campaign of thousands of copies is caught or missed
whole, so a single run can mislead; the spread says how much."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vetpy.lab.evaluate import EvalData, Progress
from vetpy.lab.holdout import FAMILY_SPLIT_SEED, family_holdout, location_holdout

KEYS = ("own_threshold_recall", "own_threshold_fp", "recall_at_fpr_0.1%", "recall_at_fpr_1%")
DIRECTIONS = ("runs_itself_to_call_time", "call_time_to_runs_itself")


def _figures(m: dict[str, Any]) -> dict[str, float]:
    out = {k: float(m[k]) for k in KEYS}
    view = m.get("by_campaign")
    if view:
        out["largest_campaign_recall"] = float(view["largest"][0]["recall"])
        out["without_largest_recall"] = float(view["without_largest"]["own_threshold_recall"])
        out["campaign_mean_recall"] = float(view["campaign_mean_recall"])
    return out


def summarise(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """min, median and max of every figure over the runs."""
    names = [k for k in runs[0] if k != "seed"] if runs else []
    return {
        k: {
            "min": float(np.min([r[k] for r in runs])),
            "median": float(np.median([r[k] for r in runs])),
            "max": float(np.max([r[k] for r in runs])),
        }
        for k in names
    }


def family_spread(
    kind: str, data: EvalData, first: dict[str, Any], repeats: int, progress: Progress | None = None
) -> dict[str, Any]:
    """``first`` (the reported run) plus ``repeats - 1`` more fold draws (seeds after it)."""
    runs = [{"seed": FAMILY_SPLIT_SEED, **_figures(first)}]
    for seed in range(FAMILY_SPLIT_SEED + 1, FAMILY_SPLIT_SEED + repeats):
        m = family_holdout(kind, data, progress=progress, split_seed=seed)
        runs.append({"seed": seed, **_figures(m)})
    return {"varied": "fold draw (split seed)", "runs": runs, "summary": summarise(runs)}


def location_spread(kind: str, data: EvalData, first: dict[str, Any], repeats: int) -> dict[str, Any]:
    """``first`` (model seed 0) plus ``repeats - 1`` more model seeds, per direction."""
    runs: dict[str, list[dict[str, Any]]] = {d: [{"seed": 0, **_figures(first[d])}] for d in DIRECTIONS}
    for seed in range(1, repeats):
        m = location_holdout(kind, data, random_state=seed)
        for d in DIRECTIONS:
            runs[d].append({"seed": seed, **_figures(m[d])})
    return {
        "varied": "model seed",
        **{d: {"runs": r, "summary": summarise(r)} for d, r in runs.items()},
    }


def spread_markdown(kind: str, name: str, spread: dict[str, Any]) -> list[str]:
    """One line per figure: min / median / max over the runs."""
    blocks = [(name, spread)] if "runs" in spread else [(f"{name}, {d}", spread[d]) for d in DIRECTIONS]
    lines: list[str] = []
    for label, block in blocks:
        n = len(block["runs"])
        lines += ["", f"`{kind}` {label}: spread over {n} runs ({spread['varied']}), min / median / max:", ""]
        for k, s in block["summary"].items():
            lines.append(f"- {k}: {_fmt(s['min'])} / {_fmt(s['median'])} / {_fmt(s['max'])}")
    return lines


def _fmt(v: float) -> str:
    return f"{v:g}" if float(v).is_integer() else f"{v:.3f}"
