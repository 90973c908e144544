"""The Ray engine: the same work as the local engine on a Ray cluster (or a local Ray instance).

One actor per job builds its scanner once; targets go to idle actors one at a time. A scan that runs past
the time limit gets its actor killed and replaced, and an actor that dies takes only its current target
with it (an ``error`` result). Paths in the targets must exist on the machines that run the actors.
Memory is left to Ray's own memory monitor: ``RLIMIT_AS`` cannot be set in a Ray worker, which maps the
shared object store into its address space.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from typing import Any

from vetpy.batch.interface import ScanFn, WorkerSettings, safe_scan, timeout_result, worker_died_result
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
        return safe_scan(self._scan, target, self._settings.max_memory_mb)


class _Slot:
    """One actor and what it is doing: starting (``ready_ref``) or scanning ``task``."""

    def __init__(self, actor: Any, ready_ref: Any, deadline: float) -> None:
        self.actor = actor
        self.ref: Any = ready_ref
        self.task: str | None = None
        self.deadline = deadline


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
            from ray.exceptions import GetTimeoutError, RayError
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
        actor_class = ray.remote(num_cpus=1, max_restarts=0)(_ScanActor)
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        jobs = self.jobs or max(1, int(cpus))
        pending = list(reversed(targets))
        slots: list[_Slot] = []

        def start() -> None:
            actor: Any = actor_class.remote(settings)
            slots.append(_Slot(actor, actor.ready.remote(), time.monotonic() + self.start_timeout))

        def retire(slot: _Slot) -> None:
            with suppress(Exception):
                ray.kill(slot.actor, no_restart=True)
            slots.remove(slot)
            if pending:
                start()

        try:
            for _ in range(min(jobs, len(pending))):
                start()
            while slots and (pending or any(s.task is not None for s in slots)):
                by_ref = {s.ref: s for s in slots if s.ref is not None}
                wait_for = max(0.0, min(s.deadline for s in by_ref.values()) - time.monotonic())
                ready, _ = ray.wait(list(by_ref), num_returns=1, timeout=wait_for)
                for ref in ready:
                    slot = by_ref[ref]
                    try:
                        value = ray.get(ref, timeout=10)
                    except (RayError, GetTimeoutError) as exc:
                        if slot.task is None:
                            why = one_line(_ANSI.sub("", str(exc)))
                            raise VetpyError(f"a Ray worker could not build its scanner: {why}") from exc
                        yield worker_died_result(slot.task, one_line(type(exc).__name__))
                        retire(slot)
                        continue
                    if slot.task is not None:
                        yield value
                    slot.task, slot.ref = None, None
                    if pending:
                        slot.task = pending.pop()
                        slot.ref = slot.actor.scan.remote(slot.task)
                        slot.deadline = time.monotonic() + self.timeout
                now = time.monotonic()
                for slot in list(slots):
                    if slot.ref is None or slot.deadline > now:
                        continue
                    if slot.task is None:
                        raise VetpyError(f"a Ray worker did not start within {self.start_timeout:g} s")
                    yield timeout_result(slot.task, self.timeout)
                    retire(slot)
        finally:
            for slot in slots:
                with suppress(Exception):
                    ray.kill(slot.actor, no_restart=True)
            if started_here:
                ray.shutdown()
