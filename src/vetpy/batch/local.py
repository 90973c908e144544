"""The local engine: N spawned worker processes the parent can kill (a transport of the batch scheduler).

Each worker builds its scanner once (model loaded once), caps its address space with ``RLIMIT_AS`` and
then scans one target at a time. The parent waits on every worker's pipe and process sentinel; the
scheduler (:mod:`vetpy.batch.scheduler`) hands out targets and kills and replaces a worker whose scan runs
past the time limit or that dies; that target becomes an ``error`` result and the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from typing import Any

from vetpy.batch.interface import WorkerSettings, safe_scan
from vetpy.batch.scheduler import Event, EventKind, Scheduler
from vetpy.result import ScanResult, one_line

#: Native math libraries use one thread per worker: the pool is the parallelism.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _limit_memory(max_memory_mb: int | None) -> None:
    if not max_memory_mb:
        return
    import resource

    limit = max_memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(conn: Connection, settings: WorkerSettings) -> None:
    """A worker process: build the scanner, say "ready", then scan targets until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        _limit_memory(settings.max_memory_mb)
        scan = settings.factory(settings)
    except BaseException as exc:
        conn.send(("init-error", one_line(f"{type(exc).__name__}: {exc}")))
        return
    conn.send(("ready", None))
    while True:
        try:
            target = conn.recv()
        except (EOFError, OSError):
            return
        if target is None:
            return
        outcome = safe_scan(scan, target, settings.max_memory_mb)
        if outcome.out_of_memory:
            conn.send(("last", outcome.result))  # a worker that ran out of memory may be in a bad state
            return
        conn.send(("result", outcome.result))


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    """Set the thread-count variables (unless the user did) while a child process is started."""
    added = [name for name in _THREAD_VARS if name not in os.environ]
    for name in added:
        os.environ[name] = "1"
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(self, settings: WorkerSettings) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child, settings), daemon=True)
        with _single_threaded_children():
            self.process.start()
        child.close()

    def send(self, target: str) -> bool:
        """Hand ``target`` to the worker; False when it has already exited (its sentinel will tell)."""
        try:
            self.conn.send(target)
        except OSError:
            return False
        return True

    def receive(self) -> tuple[str, Any] | None:
        """The next message, or None when the worker is gone."""
        try:
            message: tuple[str, Any] = self.conn.recv()
        except (EOFError, OSError):
            return None
        return message

    def exit_reason(self) -> str:
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is None:
            return "no answer"
        if code == -signal.SIGKILL:
            return "killed, possibly out of memory"
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit code {code}"

    def kill(self) -> None:
        with suppress(Exception):
            self.process.kill()
        with suppress(Exception):
            self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        """Ask an idle worker to exit, killing it if it does not."""
        with suppress(Exception):
            self.conn.send(None)
        self.process.join(timeout=5)
        self.kill()


class LocalTransport:
    """Workers as spawned processes over pipes; a process sentinel tells when one exits."""

    name = "batch"

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings

    def start(self) -> _Worker:
        return _Worker(self.settings)

    def submit(self, handle: _Worker, target: str) -> bool:
        return handle.send(target)

    def wait(self, handles: list[_Worker], timeout: float | None) -> list[tuple[_Worker, Event]]:
        waitables: list[Any] = [w.conn for w in handles] + [w.process.sentinel for w in handles]
        ready = set(wait(waitables, timeout=timeout))
        events: list[tuple[_Worker, Event]] = []
        for worker in handles:
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            message = worker.receive() if worker.conn in ready else None
            if message is None:  # the worker is gone
                events.append((worker, Event(EventKind.GONE, reason=worker.exit_reason())))
            elif message[0] == "ready":
                events.append((worker, Event(EventKind.READY)))
            elif message[0] == "init-error":
                events.append((worker, Event(EventKind.INIT_ERROR, reason=message[1])))
            else:  # "result", or "last" from a worker that is exiting after it
                events.append((worker, Event(EventKind.RESULT, result=message[1], last=message[0] == "last")))
        return events

    def kill(self, handle: _Worker) -> None:
        handle.kill()

    def stop(self, handle: _Worker) -> None:
        handle.stop()


class LocalEngine:
    """Scan on ``jobs`` local worker processes with a per-package time limit."""

    def __init__(self, jobs: int | None = None, timeout: float = 60.0, start_timeout: float = 300.0) -> None:
        self.jobs = jobs or len(os.sched_getaffinity(0)) or 1
        self.timeout = timeout
        self.start_timeout = start_timeout

    def run(self, targets: Sequence[str], settings: WorkerSettings) -> Iterator[ScanResult]:
        """Yield one result per target as each finishes (see the module docstring)."""
        transport = LocalTransport(settings)
        yield from Scheduler(transport, self.jobs, self.timeout, self.start_timeout).run(targets)
