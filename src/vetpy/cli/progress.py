"""A rich progress bar for corpus-wide feature extraction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


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
