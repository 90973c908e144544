"""What every route needs: the settings, the store, the dispatcher, the metrics and the model's id."""

from __future__ import annotations

from dataclasses import dataclass

from vetpy.service.dispatch import Dispatcher
from vetpy.service.metrics import Metrics
from vetpy.service.settings import ServiceSettings
from vetpy.service.store import JobStore


@dataclass(frozen=True)
class Service:
    settings: ServiceSettings
    store: JobStore
    dispatcher: Dispatcher
    metrics: Metrics
    model_id: str
