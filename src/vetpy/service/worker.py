"""What a service worker process runs for one job (the factory handed to the batch engine).

An upload is one archive. ``name==version`` from the index can be several files (``--artifact auto``: the
wheel pip would install here and the sdist); the job's one result is then the most severe of them
(malicious, then error, then benign; highest score first), and notes name every other file with its
verdict, so nothing scanned is hidden.
"""

from __future__ import annotations

from vetpy.batch.interface import most_severe, scanner_factory

__all__ = ["most_severe", "service_scanner"]

#: The batch engine's own factory: one Scanner per worker, one (most severe) result per job.
service_scanner = scanner_factory
