"""ASGI middleware daprd applies to every API request: the API token and the body-size limit."""

from __future__ import annotations

import asyncio
import hmac
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_EXEMPT = frozenset({"/v1.0/healthz", "/v1.0/healthz/outbound"})
INTERNAL_PREFIXES = ("/_sidecar/v1/invoke/", "/_sidecar/v1/actors/")  # runtime-key checked


async def _plain(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if content_type.startswith(b"text/plain"):  # Go's http.Error adds it
        headers.append((b"x-content-type-options", b"nosniff"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class ApiTokenMiddleware:
    """DAPR_API_TOKEN: 401 ``invalid api token`` (plain text) unless the header matches.

    Health endpoints are exempt, as in daprd. The runtime's own extension routes (``/_sidecar/``)
    accept the token too; the dev clock route is only mounted in dev-clock mode.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        exempt = path in TOKEN_EXEMPT or path.startswith(INTERNAL_PREFIXES)
        if scope["type"] != "http" or not self.token or exempt:
            return await self.app(scope, receive, send)
        given = _header(scope, b"dapr-api-token") or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return await _plain(send, 401, b"invalid api token\n", b"text/plain; charset=utf-8")
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse bodies over ``--max-body-size`` before any handler sees them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(send)
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = {
            "errorCode": "ERR_BODY_READ",
            "message": "failed to read request body: http: request body too large",
        }
        await _plain(send, 400, json.dumps(body).encode(), b"application/json")


class _TooLarge(Exception):
    pass


class CancelOnDisconnect:
    """Stop serving a caller that hung up, as daprd cancels a request's context.

    Without this a call whose client timed out would still wait its turn (an actor's turn lock,
    an app call) and then do the work for nobody; under retries that queue only grows.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body_read = asyncio.Event()

        async def tracked() -> Message:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read.set()
            return message

        handler = asyncio.ensure_future(self.app(scope, tracked, send))
        watcher = asyncio.ensure_future(_watch(body_read, receive, handler))
        try:
            await handler
        except asyncio.CancelledError:
            if not watcher.done() or not watcher.result():
                raise  # we were cancelled from outside, not by a hang-up
        finally:
            watcher.cancel()


async def _watch(body_read: asyncio.Event, receive: Receive, handler: asyncio.Future[None]) -> bool:
    """Once the body is read, the next message can only be a disconnect: cancel the handler."""
    await body_read.wait()
    message = await receive()
    if message["type"] == "http.disconnect" and not handler.done():
        handler.cancel()
        return True
    return False
