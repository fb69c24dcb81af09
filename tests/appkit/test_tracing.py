from __future__ import annotations

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from appkit.tracing import AppTracing

SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def sampled(traceparent: str) -> bool:
    return bool(int(traceparent.split("-")[3], 16) & 1)


def traced_app(tracing: AppTracing, seen: list[str]) -> FastAPI:
    """An app whose one route calls out through an instrumented client; ``seen`` collects the
    ``traceparent`` each outbound call carried."""

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("traceparent", ""))
        return httpx.Response(204)

    outbound = httpx.AsyncClient(transport=httpx.MockTransport(record))
    tracing.instrument_client(outbound)
    app = FastAPI()

    @app.get("/work")
    async def work() -> dict[str, str]:
        await outbound.get("http://sidecar/v1.0/state/s/k")
        return {}

    tracing.instrument_app(app)
    return app


async def call(app: FastAPI, headers: dict[str, str]) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        assert (await client.get("/work", headers=headers)).status_code == 200


async def test_without_an_exporter_untraced_requests_record_no_spans() -> None:
    tracing, spans, seen = AppTracing("app", {}), InMemorySpanExporter(), []
    tracing.provider.add_span_processor(SimpleSpanProcessor(spans))
    await call(traced_app(tracing, seen), {})
    assert spans.get_finished_spans() == ()
    assert len(seen) == 1 and not sampled(seen[0])  # a context still, not sampled


async def test_without_an_exporter_a_callers_sampled_context_flows_on() -> None:
    tracing, spans, seen = AppTracing("app", {}), InMemorySpanExporter(), []
    tracing.provider.add_span_processor(SimpleSpanProcessor(spans))
    await call(traced_app(tracing, seen), {"traceparent": SAMPLED})
    trace_id = SAMPLED.split("-")[1]
    assert seen[0].split("-")[1] == trace_id and sampled(seen[0])
    assert spans.get_finished_spans()  # a sampled caller still gets the app's spans
