"""The FastAPI application: routes, the triage page, and the dispatcher started and stopped with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from vetpy import __version__
from vetpy.errors import ModelError
from vetpy.service import page, routes
from vetpy.service.context import Service
from vetpy.service.dispatch import Dispatcher
from vetpy.service.metrics import Metrics
from vetpy.service.settings import ServiceSettings
from vetpy.service.store import open_store


def model_id(spec: str | None) -> str:
    """A short id of the model scans use (cache key and ``/v1/health``): kind and digest prefix."""
    from vetpy.model.loader import bundled_model_path
    from vetpy.model.manifest import read_manifest

    if spec == "rules":
        return "rules"
    path = Path(spec) if spec else bundled_model_path()
    try:
        manifest = read_manifest(path)
    except ModelError:
        return "rules" if spec is None else f"{path.stem}"
    return f"{manifest.kind}-{(manifest.compiled_sha256 or manifest.model_sha256)[:12]}"


def build_service(settings: ServiceSettings) -> Service:
    store = open_store(settings.db)
    metrics = Metrics(store.counts)
    dispatcher = Dispatcher(store, settings, metrics)
    return Service(settings, store, dispatcher, metrics, model_id(settings.model))


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service's app; the dispatcher runs while the app does (FastAPI's lifespan)."""
    svc = build_service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc.dispatcher.start()
        try:
            yield
        finally:
            svc.dispatcher.stop()
            svc.store.close()

    app = FastAPI(
        title="vetpy",
        version=__version__,
        description="Scan Python packages for malice before anyone installs them (nothing is run).",
        lifespan=lifespan,
    )
    app.state.service = svc
    app.include_router(routes.router)
    app.include_router(page.router)
    return app
