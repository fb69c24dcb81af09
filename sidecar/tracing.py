"""W3C trace context as daprd handles it, with tracing off (no sampling configured) and on.

Off: daprd's HTTP tracing middleware gives every API request a span context: the caller's valid
``traceparent`` (and ``tracestate``) as they are, else the all-zero context. It answers with that
context in ``traceparent``/``tracestate`` headers and propagates it on the calls the request
makes to an app (invocation, actor calls); health routes are outside it. Recorded from daprd
1.18.3 (tests/parity).

On (a Configuration with ``tracing.samplingRate`` above 0): each API request gets a span of its
own, a child of the caller's context (or the root of a new trace), sampled parent-based at the
rate (daprd's sampler); the answer and the app calls carry that span's context, so the app sees
the caller's trace id and the sidecar's span id. Spans go to the OTLP/HTTP endpoint, if one is
set, in batches. Job triggers carry no trace context (recorded from daprd 1.18.3 in
tests/sidecar/observability/daprd_recorded.json).
"""

from __future__ import annotations

import asyncio
import re

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._dapr_config import TracingSpec

ZERO_TRACEPARENT = "00-00000000000000000000000000000000-0000000000000000-00"
_VALID = re.compile(r"[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")
UNTRACED = frozenset({"/v1.0/healthz", "/v1.0/healthz/outbound"})
_TRACE_HEADERS = (b"traceparent", b"tracestate")
_PROPAGATOR = TraceContextTextMapPropagator()
EXPORT_DELAY_MS = 500  # how long finished spans wait to be exported together


class Tracing:
    """One sidecar's tracer (service name: its app id), with OTLP/HTTP export if configured."""

    def __init__(self, spec: TracingSpec, app_id: str) -> None:
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": app_id}),
            sampler=ParentBased(TraceIdRatioBased(spec.sampling_rate)),
        )
        if spec.otlp_endpoint:
            exporter = OTLPSpanExporter(endpoint=spec.otlp_endpoint)
            processor = BatchSpanProcessor(exporter, schedule_delay_millis=EXPORT_DELAY_MS)
            self.provider.add_span_processor(processor)
        self.tracer: Tracer = self.provider.get_tracer("sidecar")

    async def close(self) -> None:
        """Export what is left and stop (the exporter blocks: off the event loop)."""
        await asyncio.to_thread(self.provider.shutdown)


def _given(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {
        k.lower().decode(): v.decode("latin-1") for k, v in headers if k.lower() in _TRACE_HEADERS
    }


def _context(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The request's span context as headers: the caller's valid one, else all zero."""
    given = _given(headers)
    parent = given.get("traceparent", "").strip()
    if not _VALID.fullmatch(parent):
        return [(b"traceparent", ZERO_TRACEPARENT.encode())]
    out = [(b"traceparent", parent.encode())]
    if given.get("tracestate"):
        out.append((b"tracestate", given["tracestate"].encode("latin-1")))
    return out


def _span_headers(span: Span) -> list[tuple[bytes, bytes]]:
    ctx = span.get_span_context()
    sampled = int(ctx.trace_flags) & 1  # the only flag daprd writes (not the SDK's "random")
    parent = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{sampled:02x}"
    out = [(b"traceparent", parent.encode())]
    if state := ctx.trace_state.to_header():
        out.append((b"tracestate", state.encode()))
    return out


class TraceContextMiddleware:
    """Put the span context on the request (so forwarding carries it) and on the answer; with a
    ``tracer``, the context of a span of the request's own."""

    def __init__(self, app: ASGIApp, tracer: Tracer | None = None) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "") in UNTRACED:
            return await self.app(scope, receive, send)
        headers = list(scope.get("headers", ()))
        if self.tracer is None:
            return await self._carry(scope, receive, send, _context(headers))
        parent = _PROPAGATOR.extract(_given(headers))
        span = self.tracer.start_span(scope["path"], parent, kind=SpanKind.CLIENT)
        span.set_attribute("http.request.method", scope["method"])
        try:
            await self._carry(scope, receive, send, _span_headers(span), span)
        finally:
            if span.is_recording():  # no answer was started
                span.end()

    async def _carry(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        context: list[tuple[bytes, bytes]],
        span: Span | None = None,
    ) -> None:
        headers = scope.get("headers", ())
        untraced = [(k, v) for k, v in headers if k.lower() not in _TRACE_HEADERS]
        scope = {**scope, "headers": untraced + context}

        async def traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() not in _TRACE_HEADERS
                ]
                message = {**message, "headers": own + context}
                if span is not None:
                    _finish(span, message["status"])
            await send(message)

        await self.app(scope, receive, traced)


def _finish(span: Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(StatusCode.ERROR)
    span.end()
