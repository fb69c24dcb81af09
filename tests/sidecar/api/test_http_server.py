"""The sidecar HTTP server bounds slow clients; its outbound pool exceeds its deliveries."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from sidecar import _http_server
from sidecar._config import SidecarConfig
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock
from sidecar.jobs import MemoryJobStore


async def _started(config: SidecarConfig, clock: ManualClock) -> Sidecar:
    sc = Sidecar(replace(config, http_port=0), clock=clock, job_store=MemoryJobStore())
    await sc.start()
    return sc


async def test_client_that_sends_no_headers_is_disconnected(
    config: SidecarConfig, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_http_server, "HEADER_TIMEOUT", 0.2)
    sc = await _started(config, clock)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", sc.http_port)
        writer.write(b"GET /v1.0/healthz HTTP/1.1\r\nHost: x\r\n")  # headers never finish
        async with asyncio.timeout(10):
            assert await reader.read() == b""  # closed by the server
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", sc.http_port)
        writer.write(b"GET /v1.0/healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(10):
            assert (await reader.readline()).startswith(b"HTTP/1.1 204")
        writer.close()
    finally:
        await sc.stop()


def test_outbound_pool_is_larger_than_the_scheduler_deliveries(
    config: SidecarConfig, clock: ManualClock
) -> None:
    sc = Sidecar(config, clock=clock, job_store=MemoryJobStore(), extensions=[])
    limit = sc.http._transport.limits.max_connections  # type: ignore[attr-defined]
    assert limit is not None and limit > sc.scheduler.max_total >= 256
