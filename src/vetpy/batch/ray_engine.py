"""The Ray engine: the same work as the local engine on a Ray cluster (or a local Ray instance), as a
transport of the batch scheduler (:mod:`vetpy.batch.scheduler`).

One actor per job builds its scanner once; targets go to idle actors one at a time. A scan that runs past
the time limit gets its actor killed and replaced, and an actor that dies takes only its current target
with it (an ``error`` result). Paths in the targets must exist on the machines that run the actors.
Memory is left to Ray's own memory monitor: ``RLIMIT_AS`` cannot be set in a Ray worker, which maps the
shared object store into its address space.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import suppress
from typing import Any

from vetpy.batch.interface import ScanFn, WorkerSettings, safe_scan
from vetpy.batch.scheduler import Event, EventKind, Scheduler
from vetpy.errors import VetpyError
from vetpy.result import ScanResult, one_line

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Ray colours its error messages


class _ScanActor:
    """Holds one scanner for the actor's lifetime."""

    def __init__(self, settings: WorkerSettings) -> None:
        self._settings = settings
        self._scan: ScanFn = settings.factory(settings)

    def ready(self) -> bool:
        return True

    def scan(self, target: str) -> ScanResult:
        return safe_scan(self._scan, target, self._settings.max_memory_mb).result


class _Actor:
    """One Ray actor and the object it is computing: its readiness (``starting``) or a scan."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.ref: Any = actor.ready.remote()
        self.starting = True


class RayTransport:
    """Workers as Ray actors; ``ray.wait`` on their pending objects tells when one finishes or dies."""

    name = "Ray"

    def __init__(self, ray: Any, actor_class: Any, settings: WorkerSettings) -> None:
        from ray.exceptions import GetTimeoutError, RayError

        self.ray = ray
        self.actor_class = actor_class
        self.settings = settings
        self.errors: tuple[type[BaseException], ...] = (RayError, GetTimeoutError)

    def start(self) -> _Actor:
        return _Actor(self.actor_class.remote(self.settings))

    def submit(self, handle: _Actor, target: str) -> bool:
        handle.ref = handle.actor.scan.remote(target)
        return True

    def wait(self, handles: list[_Actor], timeout: float | None) -> list[tuple[_Actor, Event]]:
        by_ref = {h.ref: h for h in handles if h.ref is not None}
        if not by_ref:
            return []
        ready, _ = self.ray.wait(list(by_ref), num_returns=1, timeout=timeout)
        events: list[tuple[_Actor, Event]] = []
        for ref in ready:
            handle = by_ref[ref]
            handle.ref, starting, handle.starting = None, handle.starting, False
            try:
                value = self.ray.get(ref, timeout=10)
            except self.errors as exc:
                if starting:
                    why = one_line(_ANSI.sub("", str(exc)))
                    events.append((handle, Event(EventKind.INIT_ERROR, reason=why)))
                else:
                    events.append((handle, Event(EventKind.GONE, reason=one_line(type(exc).__name__))))
                continue
            events.append(
                (handle, Event(EventKind.READY) if starting else Event(EventKind.RESULT, result=value))
            )
        return events

    def kill(self, handle: _Actor) -> None:
        with suppress(Exception):
            self.ray.kill(handle.actor, no_restart=True)

    def stop(self, handle: _Actor) -> None:
        self.kill(handle)


class RayEngine:
    """Scan on ``jobs`` Ray actors (default: the cluster's CPUs) with a per-package time limit."""

    def __init__(
        self,
        jobs: int | None = None,
        address: str | None = None,
        timeout: float = 60.0,
        start_timeout: float = 300.0,
    ) -> None:
        self.jobs = jobs
        self.address = address
        self.timeout = timeout
        self.start_timeout = start_timeout

    def run(self, targets: Sequence[str], settings: WorkerSettings) -> Iterator[ScanResult]:
        """Yield one result per target as each finishes."""
        try:
            import ray
        except ImportError as exc:
            raise VetpyError("the ray engine needs Ray: pip install 'vetpy[ray]'") from exc
        if not targets:
            return
        started_here = not ray.is_initialized()
        if started_here:
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            except Exception as exc:
                raise VetpyError(one_line(f"cannot start or reach Ray: {exc}")) from exc
        try:
            actor_class = ray.remote(num_cpus=1, max_restarts=0)(_ScanActor)
            cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
            jobs = self.jobs or max(1, int(cpus))
            transport = RayTransport(ray, actor_class, settings)
            yield from Scheduler(transport, jobs, self.timeout, self.start_timeout).run(targets)
        finally:
            if started_here:
                ray.shutdown()
