"""The apps' outbound HTTP client must not cap concurrent connections below what nested calls need.

An actor turn the sidecar runs calls back into the app, whose handler calls the sidecar again
(state, the notifier) while the job handlers that started those turns still hold their own
connections. A pool cap (aiohttp's default is 100) turns that into a wait on connections held by
requests that themselves wait on the turn: the soak with the runner as victim collapsed to a few
notifications per second this way. Here a server answers nothing until CONCURRENT requests are
open at once, which a capped pool can never reach.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiohttp import web

from appkit.http_client import pooled_client

CONCURRENT = 150  # above aiohttp's default connector limit of 100


async def _gathering_server(everyone: asyncio.Event) -> tuple[web.AppRunner, int]:
    arrived = 0

    async def handler(_: web.Request) -> web.Response:
        nonlocal arrived
        arrived += 1
        if arrived >= CONCURRENT:
            everyone.set()
        await everyone.wait()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, port


@pytest.mark.integration
async def test_more_concurrent_requests_than_aiohttps_default_limit_all_get_through() -> None:
    everyone = asyncio.Event()
    runner, port = await _gathering_server(everyone)
    try:
        async with pooled_client(httpx.Timeout(30.0)) as client:
            url = f"http://127.0.0.1:{port}/"
            async with asyncio.timeout(30):
                answers = await asyncio.gather(*(client.get(url) for _ in range(CONCURRENT)))
        assert [a.status_code for a in answers] == [200] * CONCURRENT
    finally:
        everyone.set()  # let any still-waiting handler finish so the server can stop
        await runner.cleanup()
