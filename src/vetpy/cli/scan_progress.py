"""A progress bar on stderr for ``vetpy scan`` of several targets: shown on a terminal, silent when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from vetpy.result import ScanResult


@contextmanager
def scan_progress(total: int) -> Iterator[Callable[[ScanResult], None]]:
    """Yields a callback to call with each finished result; a bar appears only when stderr is a terminal
    and there is more than one target."""
    if total <= 1 or not sys.stderr.isatty():
        yield lambda result: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=total)

        def done(result: ScanResult) -> None:
            progress.update(task, advance=1, description=result.target[:60])

        yield done
