"""daprd's HTTP server metrics for every API request: count, latency, body sizes."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._families import SidecarMetrics


class ServerMetricsMiddleware:
    """Records each request into ``metrics`` once its answer is sent (or the request ends)."""

    def __init__(self, app: ASGIApp, metrics: SidecarMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        seen = {"in": 0, "out": 0, "status": 0}

        async def counted_receive() -> Message:
            message = await receive()
            seen["in"] += len(message.get("body", b""))
            return message

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counted_receive, counted_send)
        finally:
            ms = (time.perf_counter() - started) * 1000
            status = seen["status"] or 500
            self.metrics.served(scope["method"], scope["path"], status, seen["out"], seen["in"], ms)
