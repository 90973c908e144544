"""A fake scan for the batch tests, in a module light enough to import in every spawned worker."""

from __future__ import annotations

import os
import time

from vetpy.batch.interface import ScanFn, WorkerSettings
from vetpy.result import ScanResult, Verdict
from vetpy.scan import error_result

#: The fake scan appends each target it scans to the file named here (set by a test, read back after).
SCAN_LOG = "VETPY_BATCH_TEST_SCAN_LOG"


def fake_factory(settings: WorkerSettings) -> ScanFn:
    """A scan whose behaviour is chosen by the target's text: slow, crash, boom, hog, evil, bad."""

    def scan(target: str) -> ScanResult:
        log = os.environ.get(SCAN_LOG)
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(target + "\n")
        if "slow" in target:
            time.sleep(60)
        if "crash" in target:
            os._exit(3)
        if "boom" in target:
            raise RuntimeError("boom")
        if "hog" in target:
            hog = bytearray(4 * 1024 * 1024 * 1024)
            return error_result(target, f"allocated {len(hog)}")
        if "bad" in target:
            return error_result(target, "cannot read")
        evil = "evil" in target
        return ScanResult(
            target=target,
            name=target,
            version="1",
            sha256=None,
            verdict=Verdict.MALICIOUS if evil else Verdict.BENIGN,
            score=0.9 if evil else 0.1,
            threshold=0.5,
            seconds=0.001,
        )

    return scan


def broken_factory(settings: WorkerSettings) -> ScanFn:
    raise RuntimeError("no model here")
