"""A sidecar served in-process (no socket, no app, jobs in memory) and a client on its ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from sidecar._config import SidecarConfig
from sidecar._sidecar import Sidecar
from sidecar.clock import Clock
from sidecar.jobs import MemoryJobStore


@contextlib.asynccontextmanager
async def in_process(
    config: SidecarConfig, clock: Clock, **client_options: Any
) -> AsyncIterator[tuple[Sidecar, httpx.AsyncClient]]:
    sc = Sidecar(config, clock=clock, job_store=MemoryJobStore(), extensions=[], serve_http=False)
    async with sc, asgi_client(sc, **client_options) as client:
        yield sc, client


def asgi_client(sc: Sidecar, **options: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=sc.asgi)
    return httpx.AsyncClient(transport=transport, base_url="http://sidecar", **options)
