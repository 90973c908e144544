"""The one batch scheduler: hands targets to idle workers, enforces the start and per-package time limits,
replaces workers that die or hang, and turns each of those into an ``error`` result for its target.

Engines differ only in their :class:`Transport` (local processes over pipes, Ray actors): how a worker is
started, given a target, waited on, and stopped.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from vetpy.batch.interface import timeout_result, worker_died_result
from vetpy.errors import VetpyError
from vetpy.result import ScanResult

#: How many workers in a row may fail to start before the batch gives up.
MAX_START_FAILURES = 3


class EventKind(enum.Enum):
    """What a transport can report about one worker."""

    READY = "ready"  # the worker built its scanner
    RESULT = "result"  # a scan finished (``last``: the worker is exiting after it)
    GONE = "gone"  # the worker exited or died (``reason`` says how)
    INIT_ERROR = "init-error"  # the worker could not build its scanner (``reason``)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    result: ScanResult | None = None
    reason: str = ""
    last: bool = False


H = TypeVar("H")


@dataclass
class Slot(Generic[H]):
    """The scheduler's view of one worker: started or ready, the target it scans, and its deadline."""

    handle: H
    deadline: float
    ready: bool = False
    task: str | None = None


class Transport(Protocol[H]):
    """How one kind of worker is driven; ``name`` appears in messages ("batch", "Ray")."""

    name: str

    def start(self) -> H: ...

    def submit(self, handle: H, target: str) -> bool: ...

    def wait(self, handles: list[H], timeout: float | None) -> list[tuple[H, Event]]: ...

    def kill(self, handle: H) -> None: ...

    def stop(self, handle: H) -> None: ...


class Scheduler(Generic[H]):
    """Runs ``targets`` on at most ``jobs`` workers of ``transport``; yields results as they finish."""

    def __init__(self, transport: Transport[H], jobs: int, timeout: float, start_timeout: float) -> None:
        self.transport = transport
        self.jobs = jobs
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.slots: list[Slot[H]] = []
        self.pending: deque[str] = deque()
        self.start_failures = 0

    def _start(self) -> None:
        self.slots.append(Slot(self.transport.start(), time.monotonic() + self.start_timeout))

    def _retire(self, slot: Slot[H]) -> None:
        self.transport.kill(slot.handle)
        self.slots.remove(slot)
        if self.pending and len(self.slots) < self.jobs:
            self._start()

    def _assign(self) -> None:
        for slot in self.slots:
            if slot.ready and slot.task is None and self.pending:
                target = self.pending.popleft()
                if self.transport.submit(slot.handle, target):
                    slot.task, slot.deadline = target, time.monotonic() + self.timeout
                else:
                    self.pending.appendleft(target)  # the worker is gone: its sentinel will tell

    def _handle(self, slot: Slot[H], event: Event) -> Iterator[ScanResult]:
        name = self.transport.name
        if event.kind is EventKind.READY:
            slot.ready, self.start_failures = True, 0
        elif event.kind is EventKind.INIT_ERROR:
            raise VetpyError(f"a {name} worker could not build its scanner: {event.reason}")
        elif event.kind is EventKind.GONE:
            if slot.task is not None:
                yield worker_died_result(slot.task, event.reason)
            elif not slot.ready:
                self.start_failures += 1
                if self.start_failures >= MAX_START_FAILURES:
                    raise VetpyError(f"{name} workers cannot start ({event.reason})")
            self._retire(slot)
        elif event.result is not None:
            slot.task = None
            if event.last:
                self._retire(slot)
            yield event.result

    def _expire(self) -> Iterator[ScanResult]:
        now = time.monotonic()
        for slot in list(self.slots):
            if slot.deadline > now or (slot.task is None and slot.ready):
                continue
            if slot.task is None:
                name, limit = self.transport.name, self.start_timeout
                raise VetpyError(f"a {name} worker did not start within {limit:g} s")
            yield timeout_result(slot.task, self.timeout)
            self._retire(slot)

    def run(self, targets: Sequence[str]) -> Iterator[ScanResult]:
        self.pending.extend(targets)
        try:
            for _ in range(min(self.jobs, len(self.pending))):
                self._start()
            while self.slots and (self.pending or any(s.task is not None for s in self.slots)):
                self._assign()
                busy = [s.deadline for s in self.slots if s.task is not None or not s.ready]
                wait_for = max(0.0, min(busy) - time.monotonic()) if busy else None
                by_handle = {id(s.handle): s for s in self.slots}
                events = self.transport.wait([s.handle for s in self.slots], wait_for)
                for handle, event in events:
                    slot = by_handle.get(id(handle))
                    if slot is not None and slot in self.slots:
                        yield from self._handle(slot, event)
                yield from self._expire()
        finally:
            for slot in self.slots:
                if slot.task is None and slot.ready:
                    self.transport.stop(slot.handle)
                else:
                    self.transport.kill(slot.handle)
