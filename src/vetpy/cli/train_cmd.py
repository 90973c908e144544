"""``vetpy train``: rebuild a model from the development data with one command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from vetpy.cli.progress import add_corpus_arguments, load_corpus_features, require_train_extra
from vetpy.errors import VetpyError
from vetpy.lab.protocols import ABLATIONS, MODEL_KINDS

if TYPE_CHECKING:
    from vetpy.lab.dataset.corpus import Sample


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "train",
        help="train a model on the development data",
        description="Fit a model on the development corpus and save it (skops, compiled arrays, manifest).",
    )
    parser.add_argument("--model", choices=MODEL_KINDS + ABLATIONS, default="default")
    parser.add_argument("--out", help="model path (default: the model bundled in the package)")
    parser.add_argument(
        "--split",
        choices=("all", "time-train"),
        default="all",
        help="train on the whole corpus (default) or only on the time split's training side (a held-out"
        " model for benchmarks on the time-split test rows)",
    )
    parser.add_argument("--metrics", help="metrics.json from `vetpy evaluate` to record in the manifest")
    parser.add_argument(
        "--labels",
        action="append",
        default=[],
        metavar="DB_OR_JSONL",
        help="also train on triage labels: a `vetpy serve` database (SQLite file or postgresql:// URL) or a"
        " JSON-lines file of {path, label}; repeatable",
    )
    parser.add_argument("--labels-uploads", help="the service's uploads folder (default: <db>-uploads)")
    add_corpus_arguments(parser)
    parser.set_defaults(func=run)


def labelled(args: argparse.Namespace, console: Console) -> list[Sample]:
    """The triage labels given with ``--labels``, as samples (labels without an archive are reported)."""
    from vetpy.service.labels import labelled_samples

    samples: list[Sample] = []
    for source in args.labels:
        uploads = Path(args.labels_uploads) if args.labels_uploads else None
        found = labelled_samples(source, uploads)
        samples.extend(found.samples)
        skipped = (
            f"; {found.without_archive} without a kept archive, skipped" if found.without_archive else ""
        )
        console.print(f"labels: {len(found.samples)} labelled archive(s) added{skipped}")
    return samples


def run(args: argparse.Namespace) -> int:
    require_train_extra("train")
    from vetpy.lab.runner import train_and_save
    from vetpy.model.loader import bundled_model_path

    if args.model in ABLATIONS and not args.out:
        raise VetpyError(f"--model {args.model} is an ablation: give --out (only models ship in the package)")
    console = Console(stderr=True)
    data = load_corpus_features(args, console, labelled(args, console))
    metrics: dict[str, Any] = {}
    if args.metrics:
        report = json.loads(Path(args.metrics).read_text(encoding="utf-8"))
        metrics = report.get("models", {}).get(args.model, {}).get("time_split", {})
        metrics = {k: v for k, v in metrics.items() if not isinstance(v, dict | list)}
    path = Path(args.out) if args.out else bundled_model_path(args.model)
    manifest = train_and_save(data, args.model, path, metrics, split=args.split)
    console.print(
        f"saved {path.with_suffix('.skops')} (threshold {manifest.threshold:.4f},"
        f" data {manifest.training_data_id}, schema {manifest.schema_hash})"
    )
    return 0
