"""The ASGI middleware at the ASGI level: fake receive/send, no server."""

from __future__ import annotations

import asyncio
from typing import Any

from sidecar.api._middleware import CancelOnDisconnect

SCOPE = {"type": "http", "method": "POST", "path": "/x", "headers": []}


async def test_handler_is_cancelled_when_the_caller_hangs_up() -> None:
    cancelled = asyncio.Event()
    disconnect = asyncio.Event()
    waiting = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # the body
        waiting.set()
        try:
            await asyncio.Event().wait()  # e.g. waiting for an actor's turn
        except asyncio.CancelledError:
            cancelled.set()
            raise

    messages = [{"type": "http.request", "body": b"{}", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        raise AssertionError("nothing is sent to a caller that left")

    serving = asyncio.create_task(CancelOnDisconnect(app)(SCOPE, receive, send))
    async with asyncio.timeout(5):
        await waiting.wait()  # the handler is inside its wait
    assert not cancelled.is_set()
    disconnect.set()
    async with asyncio.timeout(1):
        await serving  # returns quietly
    assert cancelled.is_set()


async def test_a_finished_handler_is_left_alone() -> None:
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    async with asyncio.timeout(1):
        await CancelOnDisconnect(app)(SCOPE, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
