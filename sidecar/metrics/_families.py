"""One sidecar's metrics: daprd's families (names, labels and buckets recorded from daprd 1.18.3)
and this runtime's extensions under ``sidecar_``.

Every sidecar has a registry of its own (several sidecars share a process under ``sidecar run``).
Hot paths touch a cached labelled child only; live gauges (actors, pending jobs) are read when
the metrics are scraped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..jobs import JobRecord, Outcome
from ._exposition import render
from ._paths import metric_path

# daprd's bounds: latencies in milliseconds, sizes in bytes
LATENCY_MS = (1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200) + (
    250,
    300,
    400,
    500,
    650,
    800,
    1000,
    2000,
    5000,
    10000,
    20000,
    50000,
    100000,
)
SIZE_BYTES = (1024, 2048, *(4096 * 4**i for i in range(11)))
LATENESS_S = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)
STALL_S = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
VERBS = frozenset(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"])
NAMESPACE = ""  # daprd's label when NAMESPACE is unset, as on a machine without Kubernetes
ROUTE = ("app_id", "method", "path", "status")
STATIC_PATHS = frozenset({"dapr/config", "dapr/metrics", "dapr/subscribe", "healthz"})
ActorStats = Callable[[], dict[str, tuple[int, int, int]]]  # type -> (turns, running, waiting)


def _kind(record: JobRecord) -> str:
    return "job" if record.owner.startswith("app||") else "reminder"


def _method(method: str) -> str:
    return method if method in VERBS else "UNKNOWN"


class SidecarMetrics:
    """The families of one sidecar and the calls that record into them."""

    def __init__(self, app_id: str, *, increased_cardinality: bool = True) -> None:
        self.app_id = app_id
        self.increased_cardinality = increased_cardinality
        self.registry = CollectorRegistry(auto_describe=False)
        self._counters: list[str] = []
        self._children: dict[tuple[Any, ...], Any] = {}
        self._http_server()
        self._http_client()
        self._jobs()
        self._extensions()
        self.pending_jobs: Callable[[], Awaitable[int]] | None = None

    def _counter(self, name: str, doc: str, labels: tuple[str, ...]) -> Counter:
        self._counters.append(name)
        return Counter(name, doc, labels, registry=self.registry)

    def _histogram(self, name: str, doc: str, labels: tuple[str, ...], b: Any) -> Histogram:
        return Histogram(name, doc, labels, registry=self.registry, buckets=b)

    def _http_server(self) -> None:
        self.server_count = self._counter(
            "dapr_http_server_request_count",
            "Count of HTTP requests processed by the server.",
            ROUTE,
        )
        self.server_responses = self._counter(
            "dapr_http_server_response_count", "The number of HTTP responses", ROUTE
        )
        self.server_latency = self._histogram(
            "dapr_http_server_latency",
            "HTTP request end-to-end latency in server.",
            ROUTE,
            LATENCY_MS,
        )
        self.server_req_bytes = self._histogram(
            "dapr_http_server_request_bytes",
            "HTTP request body size in server.",
            ("app_id",),
            SIZE_BYTES,
        )
        self.server_res_bytes = self._histogram(
            "dapr_http_server_response_bytes",
            "HTTP response body size in server.",
            ("app_id",),
            SIZE_BYTES,
        )

    def _http_client(self) -> None:
        self.client_count = self._counter(
            "dapr_http_client_completed_count", "Count of completed requests", ROUTE
        )
        self.client_latency = self._histogram(
            "dapr_http_client_roundtrip_latency",
            "Time between first byte of request headers sent to last byte of response received,"
            " or terminal error",
            ROUTE,
            LATENCY_MS,
        )
        self.client_sent = self._histogram(
            "dapr_http_client_sent_bytes", "Total bytes sent in request body", ROUTE, SIZE_BYTES
        )
        self.client_received = self._histogram(
            "dapr_http_client_received_bytes",
            "Total bytes received in response bodies",
            ("app_id",),
            SIZE_BYTES,
        )

    def _jobs(self) -> None:
        job = ("app_id", "namespace", "operation")
        self.job_success = self._counter(
            "dapr_component_job_success_count", "The number of successful job triggers.", job
        )
        self.job_failure = self._counter(
            "dapr_component_job_failure_count", "The number of failed job triggers.", job
        )
        self.job_latency = self._histogram(
            "dapr_component_job_latencies",
            "The latency of the response from the app that processed the triggered job.",
            (*job, "success"),
            LATENCY_MS,
        )
        self.components_loaded = self._counter(
            "dapr_runtime_component_loaded",
            "The number of successfully loaded components.",
            ("app_id",),
        )
        self.component_init = self._counter(
            "dapr_runtime_component_init_total",
            "The number of initialized components.",
            ("app_id", "component"),
        )

    def _extensions(self) -> None:
        kind = ("app_id", "kind")
        self.lateness = self._histogram(
            "sidecar_job_fire_lateness_seconds",
            "Fire time minus due time of each job and reminder tick's first attempt.",
            kind,
            LATENESS_S,
        )
        self.deliveries = Counter(
            "sidecar_job_deliveries",
            "Job and reminder delivery attempts by outcome.",
            (*kind, "outcome"),
            registry=self.registry,
        )
        self.retries = Counter(
            "sidecar_job_retries",
            "Delivery attempts that retried a failed tick.",
            kind,
            registry=self.registry,
        )
        self.loop_stall = self._histogram(
            "sidecar_event_loop_stall_seconds",
            "How much later than asked the event loop woke a periodic probe.",
            ("app_id",),
            STALL_S,
        )
        self.pending = Gauge(
            "sidecar_jobs_pending",
            "Jobs and reminders stored for this sidecar's app.",
            ("app_id",),
            registry=self.registry,
        )

    # recording ----------------------------------------------------------------------------------

    def _path(self, path: str) -> str:
        """daprd's ``path`` label; empty with ``increasedCardinality: false`` (but for the few
        static app paths), as daprd without path matching."""
        if self.increased_cardinality or path.lstrip("/") in STATIC_PATHS:
            return metric_path(path)
        return ""

    def served(
        self, method: str, path: str, status: int, sent: int, received: int, ms: float
    ) -> None:
        """One API request answered: ``received`` body bytes in, ``sent`` out."""
        key = ("s", method, self._path(path), status)
        children = self._children.get(key)
        if children is None:
            labels = (self.app_id, _method(method), key[2], str(status))
            children = self._children[key] = (
                self.server_count.labels(*labels),
                self.server_responses.labels(*labels),
                self.server_latency.labels(*labels),
                self.server_req_bytes.labels(self.app_id),
                self.server_res_bytes.labels(self.app_id),
            )
        count, responses, latency, req_bytes, res_bytes = children
        count.inc()
        responses.inc()
        latency.observe(ms)
        req_bytes.observe(received)
        res_bytes.observe(sent)

    def called_app(
        self, method: str, path: str, status: int, sent: int, received: int, ms: float
    ) -> None:
        """One call to the app completed (``status`` 0: no answer)."""
        key = ("c", method, self._path(path), status)
        children = self._children.get(key)
        if children is None:
            labels = (self.app_id, _method(method), key[2])
            answered = str(status) if status else ""
            children = self._children[key] = (
                self.client_count.labels(*labels, answered),
                self.client_latency.labels(*labels, answered),
                self.client_sent.labels(*labels, ""),
                self.client_received.labels(self.app_id),
            )
        count, latency, sent_h, received_h = children
        count.inc()
        latency.observe(ms)
        sent_h.observe(sent)
        received_h.observe(received)

    def fired(self, record: JobRecord, lateness: float) -> None:
        """A delivery attempt starts (the scheduler's observer): lateness of a first attempt."""
        kind = _kind(record)
        if record.attempts == 0:
            self.lateness.labels(self.app_id, kind).observe(max(lateness, 0.0))
        else:
            self.retries.labels(self.app_id, kind).inc()

    def delivered(self, record: JobRecord, outcome: Outcome, ms: float) -> None:
        """A delivery attempt of a job or reminder tick ended with ``outcome``."""
        kind = _kind(record)
        self.deliveries.labels(self.app_id, kind, outcome.value).inc()
        if kind == "job":
            ok = outcome is Outcome.SUCCESS
            labels = (self.app_id, NAMESPACE, "job_trigger_op")
            (self.job_success if ok else self.job_failure).labels(*labels).inc()
            self.job_latency.labels(*labels, str(ok).lower()).observe(ms)

    def loaded(self, component_types: list[str]) -> None:
        for component_type in component_types:
            self.component_init.labels(self.app_id, component_type).inc()
            self.components_loaded.labels(self.app_id).inc()

    def stalled(self, seconds: float) -> None:
        self.loop_stall.labels(self.app_id).observe(seconds)

    def watch_actors(self, stats: ActorStats) -> None:
        """Read actor turns and queues from ``stats`` whenever the metrics are scraped."""
        self.registry.register(_ActorCollector(self.app_id, stats))

    async def render(self) -> bytes:
        if self.pending_jobs is not None:
            self.pending.labels(self.app_id).set(await self.pending_jobs())
        return render(self.registry, self._counters)


class _ActorCollector(Collector):
    def __init__(self, app_id: str, stats: ActorStats) -> None:
        self.app_id = app_id
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        labels = ["actor_type", "app_id"]
        pending = GaugeMetricFamily(
            "dapr_runtime_actor_pending_actor_calls",
            "The number of pending actor calls waiting to acquire the per-actor lock.",
            labels=labels,
        )
        queued = GaugeMetricFamily(
            "sidecar_actor_turn_queue_depth", "Calls queued for an actor's turn.", labels=labels
        )
        turns = Metric("sidecar_actor_turns", "Actor turns run.", "counter")
        for actor_type, (count, running, waiting) in sorted(self.stats().items()):
            pending.add_metric([actor_type, self.app_id], running + waiting)
            queued.add_metric([actor_type, self.app_id], waiting)
            turns.add_sample(
                "sidecar_actor_turns_total",
                {"actor_type": actor_type, "app_id": self.app_id},
                count,
            )
        yield from (pending, queued, turns)
