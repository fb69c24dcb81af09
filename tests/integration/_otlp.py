"""A local OTLP/HTTP trace receiver for tests: ``POST /v1/traces`` with a protobuf
``ExportTraceServiceRequest``, decoded and kept as plain :class:`Span` records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from sidecar._runner import free_port


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, str]


class OtlpReceiver:
    """Listens on a free port; ``endpoint`` is the address a Configuration's ``otel`` names."""

    def __init__(self) -> None:
        self.port = free_port()
        self.spans: list[Span] = []
        self.arrived = asyncio.Event()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> OtlpReceiver:
        app = web.Application()
        app.router.add_post("/v1/traces", self._export)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    async def _export(self, request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.read())
        for resource_spans in message.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(_span(resource.get("service.name", ""), span))
        self.arrived.set()
        body = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    async def wait_for(self, check: object, what: str, timeout: float = 30) -> list[Span]:
        """Until ``check(spans)`` (a callable) is true; the spans received then."""
        assert callable(check)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.arrived.clear()
                    if check(self.spans):
                        return list(self.spans)
                    await self.arrived.wait()
        except TimeoutError:
            raise AssertionError(f"no {what} within {timeout} s; spans: {self.spans}") from None


def _span(service: str, span: object) -> Span:
    s = span  # an opentelemetry.proto.trace.v1 Span
    attributes = {a.key: _value(a.value) for a in s.attributes}  # type: ignore[attr-defined]
    return Span(
        service,
        s.name,  # type: ignore[attr-defined]
        s.trace_id.hex(),  # type: ignore[attr-defined]
        s.span_id.hex(),  # type: ignore[attr-defined]
        s.parent_span_id.hex(),  # type: ignore[attr-defined]
        attributes,
    )


def _value(value: object) -> str:
    kind = value.WhichOneof("value")  # type: ignore[attr-defined]
    return str(getattr(value, kind)) if kind else ""
