"""Runs queued jobs on the batch engine's worker processes (time limit and memory cap per scan).

One background thread claims the oldest queued jobs, hands their targets to
:class:`vetpy.batch.local.LocalEngine` and stores each result as it arrives. A scan that times out, runs
out of memory or kills its worker is an ``error`` result from the engine (the job ends ``done`` with it);
a job the service cannot run at all (its upload vanished, the workers cannot start) ends ``failed``.
On a clean stop the jobs still in hand go back to the queue; after a crash :meth:`JobStore.recover`
does the same at the next start.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict, deque
from collections.abc import Generator
from dataclasses import replace
from typing import cast

from vetpy.batch.interface import WorkerSettings
from vetpy.batch.local import LocalEngine
from vetpy.result import ScanResult, one_line
from vetpy.scan import error_result
from vetpy.service.metrics import Metrics
from vetpy.service.settings import ServiceSettings
from vetpy.service.store import Job, JobStore, Status
from vetpy.service.worker import service_scanner

log = logging.getLogger("vetpy.service")


class Dispatcher:
    """The background thread between the job store and the worker pool."""

    def __init__(self, store: JobStore, settings: ServiceSettings, metrics: Metrics) -> None:
        self.store = store
        self.settings = settings
        self.metrics = metrics
        self.worker_settings = WorkerSettings(
            model=settings.model,
            limits=settings.limits,
            max_memory_mb=settings.max_memory_mb,
            factory=service_scanner,
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vetpy-dispatcher", daemon=True)

    def start(self) -> None:
        requeued, failed = self.store.recover(self.settings.max_attempts)
        if requeued or failed:
            log.warning("recovered after a restart: %d job(s) queued again, %d failed", requeued, failed)
        self._thread.start()

    def wake(self) -> None:
        """Tell the thread a job was queued (it also polls)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                jobs = self.store.claim(self.settings.batch_size)
            except Exception as exc:  # a database hiccup must not kill the thread
                log.error("cannot claim jobs: %s", one_line(exc))
                jobs = []
            if not jobs:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            self._run(jobs)

    def _run(self, jobs: list[Job]) -> None:
        """Scan ``jobs`` (already ``running``); whatever is unfinished at a stop goes back to the queue."""
        waiting: dict[str, deque[Job]] = defaultdict(deque)
        targets: list[str] = []
        for job in jobs:
            if job.kind == "upload" and not (self.settings.uploads / (job.sha256 or "")).is_file():
                self._finish(job, Status.FAILED, error_result(job.label, "the uploaded archive is missing"))
                continue
            waiting[job.target].append(job)
            targets.append(job.target)
        engine = LocalEngine(jobs=self.settings.workers, timeout=self.settings.timeout)
        results = cast(Generator[ScanResult, None, None], engine.run(targets, self.worker_settings))
        try:
            for result in results:
                queue = waiting.get(result.target)
                if queue:
                    job = queue.popleft()
                    self._finish(job, Status.DONE, as_requested(job, result))
                if self._stop.is_set():
                    break
        except Exception as exc:  # the pool itself failed (workers cannot start): these jobs fail
            message = one_line(f"the scan could not run: {exc}")
            log.error("%s", message)
            for queue in waiting.values():
                while queue:
                    job = queue.popleft()
                    self._finish(job, Status.FAILED, error_result(job.label, message))
        finally:
            results.close()  # kills the workers still running
        left = [job.id for queue in waiting.values() for job in queue]
        if left:
            self.store.release(left)

    def _finish(self, job: Job, status: Status, result: ScanResult) -> None:
        """Store the end of ``job`` (once: a job that already ended is left as it was)."""
        error = result.error if status is Status.FAILED else None
        if self.store.finish(job.id, status, result, error):
            self.metrics.finished(status.value, result.verdict.value, result.seconds)


def as_requested(job: Job, result: ScanResult) -> ScanResult:
    """``result`` named as the client named it: an upload by its file name, never by the stored path."""
    if job.kind != "upload":
        return replace(result, target=job.label)
    hide = job.target

    def clean(text: str | None) -> str | None:
        return text.replace(hide, job.label) if text else text

    return replace(
        result,
        target=job.label,
        filename=job.label,
        error=clean(result.error),
        notes=tuple(clean(note) or "" for note in result.notes),
    )
