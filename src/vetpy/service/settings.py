"""The service's options, gathered once by ``vetpy serve`` and passed to every part."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vetpy.acquire.interface import Limits


@dataclass(frozen=True)
class ServiceSettings:
    """Where jobs and uploads live, who may call, and how scans run."""

    db: str  # a SQLite path, or a postgresql:// URL
    uploads: Path  # uploaded archives, stored by sha256
    tokens: tuple[bytes, ...]  # accepted bearer tokens (never logged)
    workers: int = 2
    timeout: float = 60.0  # per scan, seconds
    max_memory_mb: int | None = 2048  # per worker process
    max_upload_bytes: int = Limits().max_archive_bytes
    batch_size: int = 256  # most jobs handed to the worker pool at once
    max_attempts: int = 2  # a job whose scan was cut short by this many restarts ends failed
    model: str | None = None  # a saved model path or "rules"; None = the bundled model
    limits: Limits = field(default_factory=Limits)
