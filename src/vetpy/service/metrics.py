"""Prometheus metrics (``/metrics``, text format) on a registry of the service's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _QueueCollector(Collector):
    """Jobs per status, read from the store at each scrape."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("vetpy_jobs", "Jobs in the store, by status", labels=["status"])
        for status, count in sorted(self._counts().items()):
            family.add_metric([status], count)
        yield family


class Metrics:
    """The service's counters and histograms."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.registry = CollectorRegistry()
        self.submitted = Counter(
            "vetpy_scans_submitted", "Scan requests accepted", ["kind"], registry=self.registry
        )
        self.cached = Counter(
            "vetpy_scans_cached", "Scan requests answered from an earlier job", registry=self.registry
        )
        self.rejected = Counter(
            "vetpy_requests_rejected", "Requests refused, by reason", ["reason"], registry=self.registry
        )
        self.completed = Counter(
            "vetpy_scans_finished",
            "Jobs finished, by status and verdict",
            ["status", "verdict"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "vetpy_scan_seconds",
            "Time to scan one package",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.registry.register(_QueueCollector(counts))

    def finished(self, status: str, verdict: str, seconds: float) -> None:
        self.completed.labels(status=status, verdict=verdict).inc()
        self.seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
