"""``vetpy serve``: an HTTP service beside a registry or mirror (FastAPI on uvicorn, the ``service`` extra).

Modules: :mod:`.settings` (options), :mod:`.store` (jobs, results and labels behind one interface;
SQLite by default, PostgreSQL optional), :mod:`.dispatch` (runs queued jobs on the batch engine's worker
processes), :mod:`.auth` (bearer tokens), :mod:`.uploads` (streamed multipart uploads with a size limit),
:mod:`.metrics` (Prometheus), :mod:`.routes` (the API), :mod:`.page` (the triage page) and :mod:`.app`
(wiring them together).
"""
