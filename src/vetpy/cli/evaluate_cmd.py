"""``vetpy evaluate``: run the evaluation protocols on the development data and write a report folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from vetpy.cli.argtypes import positive_int
from vetpy.cli.progress import add_corpus_arguments, load_corpus_features, require_train_extra
from vetpy.lab.protocols import ABLATIONS, EXTRA_PROTOCOLS, MODEL_KINDS, PROTOCOLS


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "evaluate",
        help="evaluate models (paper CV, grouped CV, time split)",
        description="Evaluate the seed and default models; writes metrics.json, summary.md and PNG plots.",
    )
    parser.add_argument("--out", default="reports/evaluation", help="report folder (default: %(default)s)")
    parser.add_argument("--models", nargs="+", choices=MODEL_KINDS + ABLATIONS, default=list(MODEL_KINDS))
    parser.add_argument(
        "--protocols",
        nargs="+",
        choices=PROTOCOLS + EXTRA_PROTOCOLS,
        default=list(PROTOCOLS),
        help="stratified and grouped CV (the paper's protocol and ours), the time split, and 'selection':"
        " grouped 5-fold CV over the time split's training rows only (with held-out malware planted in"
        " held-out benign projects), for choosing between variants",
    )
    parser.add_argument("--repeats", type=int, default=10, help="CV repeats (default: %(default)s)")
    parser.add_argument(
        "--holdout-seeds",
        type=positive_int,
        default=1,
        help="run the family and location hold-outs this many times (other fold draws, other model"
        " seeds) and report the spread of their figures (default: %(default)s)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="re-run every CV fold (default: folds finished by an earlier, identical run are reused)",
    )
    add_corpus_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    require_train_extra("evaluate")
    from vetpy.lab.runner import run_evaluation

    console = Console(stderr=True)
    data = load_corpus_features(args, console)
    console.print(
        f"corpus: {int(data.y.sum())} malicious, {int((data.y == 0).sum())} benign,"
        f" {data.unreadable} unreadable left out"
    )
    results = run_evaluation(
        data,
        Path(args.out),
        args.models,
        args.protocols,
        args.repeats,
        log=lambda m: console.print(m, highlight=False),
        resume=not args.fresh,
        holdout_seeds=args.holdout_seeds,
    )
    console.print(f"report written to {args.out} ({results['seconds']} s)")
    return 0
