"""W3C trace context as daprd handles it with tracing off (no sampling configured).

daprd's HTTP tracing middleware gives every API request a span context: the caller's valid
``traceparent`` (and ``tracestate``) as they are, else the all-zero context. It answers with that
context in ``traceparent``/``tracestate`` headers and propagates it on the calls the request
makes to an app (invocation, actor calls); health routes are outside it. Recorded from daprd
1.18.3 (tests/parity).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ZERO_TRACEPARENT = "00-00000000000000000000000000000000-0000000000000000-00"
_VALID = re.compile(r"[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")
UNTRACED = frozenset({"/v1.0/healthz", "/v1.0/healthz/outbound"})
_TRACE_HEADERS = (b"traceparent", b"tracestate")


def _context(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The request's span context as headers: the caller's valid one, else all zero."""
    given = dict((k.lower(), v) for k, v in headers if k.lower() in _TRACE_HEADERS)
    parent = given.get(b"traceparent", b"").decode("latin-1").strip()
    if not _VALID.fullmatch(parent):
        return [(b"traceparent", ZERO_TRACEPARENT.encode())]
    out = [(b"traceparent", parent.encode())]
    if given.get(b"tracestate"):
        out.append((b"tracestate", given[b"tracestate"]))
    return out


class TraceContextMiddleware:
    """Put the span context on the request (so forwarding carries it) and on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "") in UNTRACED:
            return await self.app(scope, receive, send)
        headers = list(scope.get("headers", ()))
        context = _context(headers)
        untraced = [(k, v) for k, v in headers if k.lower() not in _TRACE_HEADERS]
        scope = {**scope, "headers": untraced + context}

        async def traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() not in _TRACE_HEADERS
                ]
                message = {**message, "headers": own + context}
            await send(message)

        await self.app(scope, receive, traced)
