"""The watch loop: poll the feed, scan each new file, append its line, alert, move the checkpoint.

Order per file: scan -> append the line (fsynced) -> record the file in the checkpoint -> post the alert.
A kill between the line and the checkpoint leaves a line whose sha256 the restart finds in ``--out``, so
the file is not scanned twice; the checkpoint's serial moves only when a whole poll is done, so a kill
mid-poll leaves no gap.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from vetpy.acquire.targets import Target
from vetpy.errors import VetpyError
from vetpy.osv import KnownMaliciousLookup, apply_known_malicious
from vetpy.result import ScanResult, Verdict, one_line
from vetpy.scan import Scanner, error_result
from vetpy.watch import webhook
from vetpy.watch.checkpoint import Checkpoint, CheckpointStore
from vetpy.watch.feed import SLACK_SECONDS, Changes, NewFile
from vetpy.watch.output import LineWriter

RETRY_PAUSES = (2.0, 8.0)
TRANSIENT_RE = re.compile(
    r"HTTP (?:5\d\d|429)|no answer within|timed out|connection (?:refused|reset|aborted)|temporary failure",
    re.IGNORECASE,
)


def _transient(result: ScanResult) -> bool:
    """Whether a result is a download that failed for a reason that may pass (server error, time-out)."""
    return result.verdict is Verdict.ERROR and bool(result.error and TRANSIENT_RE.search(result.error))


class Feed(Protocol):
    name: str

    def position(self) -> tuple[int, float]: ...

    def changes(self, checkpoint: Checkpoint) -> Changes: ...


class Watcher:
    """Follows one feed into one output file, with one checkpoint."""

    def __init__(
        self,
        feed: Feed,
        scanner: Scanner,
        writer: LineWriter,
        store: CheckpointStore,
        index_key: str,
        *,
        lookup: KnownMaliciousLookup | None = None,
        webhook_url: str | None = None,
        against_previous: Callable[[ScanResult], ScanResult] | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.feed = feed
        self.scanner = scanner
        self.writer = writer
        self.store = store
        self.index_key = index_key
        self.lookup = lookup
        self.webhook_url = webhook_url
        self.against_previous = against_previous
        self.log = log
        self.stop = threading.Event()

    def start(self, since: str | None) -> Checkpoint:
        """The checkpoint to resume from, or a new one at ``since`` (``now`` or a serial)."""
        checkpoint = self.store.load()
        if checkpoint is not None:
            if checkpoint.index != self.index_key:
                raise VetpyError(f"{self.store.path} was made for another index: use another --out")
            if since is not None:
                self.log(f"watch: resuming from the checkpoint (serial {checkpoint.serial}); --since ignored")
            return checkpoint
        if since is None or since == "now":
            serial, now = self.feed.position()
            checkpoint = Checkpoint(self.index_key, self.feed.name, serial, now)
        else:
            checkpoint = Checkpoint(self.index_key, self.feed.name, int(since), None)
        self.store.save(checkpoint)
        self.log(f"watch: following the index from serial {checkpoint.serial}")
        return checkpoint

    def poll(self, checkpoint: Checkpoint) -> tuple[Checkpoint, list[ScanResult]]:
        """One poll: every new file scanned and written; the checkpoint moved past them."""
        changes = self.feed.changes(checkpoint)
        for note in changes.notes:
            self.log(f"watch: {note}")
        results: list[ScanResult] = []
        for new in changes.files:
            if self.stop.is_set():
                return checkpoint, results  # the serial stays: the rest is picked up on restart
            if new.filename in checkpoint.seen:
                continue
            sha256 = new.release.sha256 if new.release else None
            result = None
            if not (sha256 and sha256 in self.writer.done):  # else written before a kill: not again
                result = self.scan(new)
                self.writer.write(result)
                results.append(result)
            checkpoint = checkpoint.with_seen(new.filename, new.uploaded or time.time())
            self.store.save(checkpoint)
            if result is not None and result.flagged:
                self._alert(result, new.filename)
        checkpoint = self._advance(checkpoint, changes)
        self.store.save(checkpoint)
        return checkpoint, results

    def _advance(self, checkpoint: Checkpoint, changes: Changes) -> Checkpoint:
        if changes.watermark is None:  # exact feed: everything up to the serial is done
            return replace(checkpoint, serial=changes.serial, seen={})
        keep_since = changes.watermark - 2 * SLACK_SECONDS
        seen = {name: t for name, t in checkpoint.seen.items() if t >= keep_since}
        return replace(checkpoint, serial=changes.serial, watermark=changes.watermark, seen=seen)

    def scan(self, new: NewFile) -> ScanResult:
        label = f"{new.project}=={new.version}" if new.version else new.filename
        if new.release is None:
            message = f"{new.filename}: no longer on the index (removed before it could be scanned)"
            result = error_result(label, message)
        else:
            result = self.scanner.scan_target(Target(label, release=new.release))
            for pause in RETRY_PAUSES:  # a download that failed for a passing reason is tried again
                if not _transient(result) or self.stop.wait(pause):
                    break
                result = self.scanner.scan_target(Target(label, release=new.release))
        result = replace(
            result,
            name=result.name or new.project,
            version=result.version or new.version or None,
            sha256=result.sha256 or (new.release.sha256 if new.release else None),
        )
        if self.against_previous is not None:
            result = self.against_previous(result)
        if self.lookup is not None:
            result = apply_known_malicious([result], self.lookup)[0]
        return result

    def _alert(self, result: ScanResult, filename: str) -> None:
        self.log(f"watch: flagged {result.name}=={result.version} ({filename})")
        if self.webhook_url:
            failure = webhook.post(self.webhook_url, webhook.message(result, filename))
            if failure:
                self.log(f"watch: alert not delivered: {failure}")

    def run(self, since: str | None, interval: float, once: bool = False) -> list[ScanResult]:
        """Poll until stopped (or once); returns what this run scanned. A failed poll is logged and
        retried at the next interval."""
        checkpoint = self.start(since)
        scanned: list[ScanResult] = []
        while not self.stop.is_set():
            try:
                checkpoint, results = self.poll(checkpoint)
                scanned.extend(results)
                if results:
                    self.log(f"watch: {len(results)} new files scanned, now at serial {checkpoint.serial}")
            except Exception as exc:  # the index or network failed: try again next time
                self.log(f"watch: poll failed: {one_line(exc)}")
                if once:
                    raise
            if once:
                break
            self.stop.wait(interval)
        return scanned
