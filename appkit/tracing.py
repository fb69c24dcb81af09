"""W3C trace context through an app, with spans exported over OTLP/HTTP when asked.

Every request the app serves gets a server span, a child of the caller's ``traceparent`` (the
sidecar's span), and every call on the app's outbound client carries the current context; so a
call through the app and its sidecar stays one trace. Spans are exported only when the standard
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (the exporter
reads them, with ``OTEL_EXPORTER_OTLP_HEADERS`` and friends); otherwise the context still flows,
and spans are recorded only under a caller's sampled context (parent-based, never as a root):
building spans nobody exports was a tenth of the agent's CPU per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
UNTRACED = "healthz,metrics"  # probes and scrapes make no spans
EXPORT_DELAY_MS = 500


class AppTracing:
    """One app's tracer provider (service name ``service``), instrumenting the app and clients."""

    def __init__(self, service: str, env: Mapping[str, str]) -> None:
        exporting = any(env.get(name) for name in ENDPOINT_VARIABLES)
        sampler: Sampler | None = None if exporting else ParentBased(ALWAYS_OFF)
        resource = Resource.create({"service.name": service})
        self.provider = TracerProvider(resource=resource, sampler=sampler)
        if exporting:
            processor = BatchSpanProcessor(
                OTLPSpanExporter(), schedule_delay_millis=EXPORT_DELAY_MS
            )
            self.provider.add_span_processor(processor)

    def instrument_app(self, app: FastAPI) -> None:
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            excluded_urls=UNTRACED,
            exclude_spans=["receive", "send"],
        )

    def instrument_client(self, client: httpx.AsyncClient) -> None:
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider)

    async def close(self) -> None:
        """Export what is left (the exporter blocks: off the event loop)."""
        await asyncio.to_thread(self.provider.shutdown)
