"""Batch scanning: many packages in parallel (local processes or Ray), one JSON line each, resumable."""

from vetpy.batch.inputs import discover
from vetpy.batch.interface import Engine, ScanFn, WorkerSettings, scanner_factory
from vetpy.batch.local import LocalEngine
from vetpy.batch.output import ResultWriter, prepare_output
from vetpy.batch.runner import BatchSummary, run_batch

__all__ = [
    "BatchSummary",
    "Engine",
    "LocalEngine",
    "ResultWriter",
    "ScanFn",
    "WorkerSettings",
    "discover",
    "prepare_output",
    "run_batch",
    "scanner_factory",
]
