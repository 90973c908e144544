"""Shared by `vetpy train` and `vetpy evaluate`: corpus arguments and feature loading with a progress bar."""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vetpy.errors import VetpyError

if TYPE_CHECKING:
    from vetpy.lab.dataset.corpus import Sample
    from vetpy.lab.evaluate import EvalData


@contextmanager
def corpus_progress(console: Console) -> Iterator[Callable[[int, int], None]]:
    """Yields ``update(done, total)``; shows nothing when everything is already cached."""
    with Progress(
        TextColumn("extracting features"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("extract", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


TRAIN_EXTRA = ("sklearn", "scipy", "skops")


def require_train_extra(command: str) -> None:
    """Raise a one-line VetpyError naming the extra to install when the lab's libraries are missing."""
    missing = [name for name in TRAIN_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise VetpyError(
            f"vetpy {command} needs the training extra ({', '.join(missing)} not installed):"
            " pip install 'vetpy[train]'"
        )


def add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", help="development data folder (default: VETPY_DATA or ../shared/data)")
    parser.add_argument(
        "--jobs", type=int, default=0, help="feature-extraction processes (default: all cores)"
    )
    parser.add_argument(
        "--all-benign",
        action="store_true",
        help="use every benign list (benign.csv, benign_recent.csv, benign_popular.csv), not only benign.csv",
    )


def load_corpus_features(
    args: argparse.Namespace, console: Console, extra: Sequence[Sample] = ()
) -> EvalData:
    """The development corpus as model inputs (features from the cache, the rest extracted on all cores),
    plus ``extra`` samples (triage labels)."""
    from vetpy.lab.dataset.paths import data_dir
    from vetpy.lab.evaluate import load_eval_data

    with corpus_progress(console) as progress:
        from vetpy.lab.dataset.corpus import BENIGN_LISTS

        lists = BENIGN_LISTS if getattr(args, "all_benign", False) else BENIGN_LISTS[:1]
        return load_eval_data(
            data_dir(args.data), jobs=args.jobs, progress=progress, extra=extra, lists=lists
        )
