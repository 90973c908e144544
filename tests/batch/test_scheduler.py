"""The one batch scheduler over a scripted in-memory transport: results, deaths, hangs, start failures."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vetpy.batch.scheduler import Event, EventKind, Scheduler
from vetpy.errors import VetpyError
from vetpy.result import ScanResult
from vetpy.scan import error_result


@dataclass
class FakeWorker:
    n: int
    started: bool = False
    target: str | None = None


@dataclass
class FakeTransport:
    """Workers that answer at once; a target named ``die`` kills its worker, ``hang`` never answers,
    and ``broken`` workers (by start number) fail to start."""

    name: str = "fake"
    broken: set[int] = field(default_factory=set)
    init_error: bool = False
    started: int = 0
    killed: int = 0
    stopped: int = 0

    def start(self) -> FakeWorker:
        self.started += 1
        return FakeWorker(self.started)

    def submit(self, handle: FakeWorker, target: str) -> bool:
        handle.target = target
        return True

    def wait(self, handles: list[FakeWorker], timeout: float | None) -> list[tuple[FakeWorker, Event]]:
        events: list[tuple[FakeWorker, Event]] = []
        for w in handles:
            if not w.started:
                w.started = True
                if self.init_error:
                    events.append((w, Event(EventKind.INIT_ERROR, reason="no model")))
                elif w.n in self.broken:
                    events.append((w, Event(EventKind.GONE, reason="exit code 1")))
                else:
                    events.append((w, Event(EventKind.READY)))
            elif w.target == "die":
                events.append((w, Event(EventKind.GONE, reason="killed by signal 9")))
            elif w.target is not None and w.target != "hang":
                result = error_result(w.target, "scanned")
                events.append((w, Event(EventKind.RESULT, result=result)))
                w.target = None
        return events

    def kill(self, handle: FakeWorker) -> None:
        self.killed += 1

    def stop(self, handle: FakeWorker) -> None:
        self.stopped += 1


def _run(transport: FakeTransport, targets: list[str], jobs: int = 2) -> dict[str, ScanResult]:
    results = Scheduler(transport, jobs=jobs, timeout=0.2, start_timeout=5).run(targets)
    return {r.target: r for r in results}


def test_every_target_gets_one_result_and_idle_workers_are_stopped() -> None:
    transport = FakeTransport()
    got = _run(transport, [f"t{i}" for i in range(7)])
    assert sorted(got) == [f"t{i}" for i in range(7)]
    assert transport.started == 2 and transport.stopped == 2 and transport.killed == 0


def test_a_dying_or_hanging_worker_costs_only_its_target() -> None:
    transport = FakeTransport()
    got = _run(transport, ["a", "die", "b", "hang", "c"])
    assert sorted(got) == ["a", "b", "c", "die", "hang"]
    assert "worker died while scanning (killed by signal 9)" in (got["die"].error or "")
    assert "timeout after 0.2 s" in (got["hang"].error or "")
    assert transport.started >= 3  # the dead worker was replaced while targets were left


def test_workers_that_keep_failing_to_start_stop_the_batch() -> None:
    with pytest.raises(VetpyError, match="fake workers cannot start"):
        _run(FakeTransport(broken={1, 2, 3, 4}), ["a", "b"], jobs=1)
    assert sorted(_run(FakeTransport(broken={1}), ["a", "b"], jobs=1)) == ["a", "b"]


def test_a_scanner_that_cannot_be_built_stops_the_batch() -> None:
    with pytest.raises(VetpyError, match="a fake worker could not build its scanner: no model"):
        _run(FakeTransport(init_error=True), ["a"])


def test_no_targets_starts_no_worker() -> None:
    transport = FakeTransport()
    assert _run(transport, []) == {}
    assert transport.started == 0
