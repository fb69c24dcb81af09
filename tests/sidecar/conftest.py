from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sidecar._config import SidecarConfig
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock
from sidecar.jobs import MemoryJobStore


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture
def config(tmp_path: Path) -> SidecarConfig:
    return SidecarConfig(app_id="myapp", home=tmp_path / "home", http_port=0)


@pytest.fixture
async def sidecar(config: SidecarConfig, clock: ManualClock) -> AsyncIterator[Sidecar]:
    """A sidecar with no app, on a manual clock, served in-process (no socket)."""
    sc = Sidecar(config, clock=clock, job_store=MemoryJobStore(), extensions=[], serve_http=False)
    async with sc:
        yield sc


@pytest.fixture
async def client(sidecar: Sidecar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sidecar.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://sidecar") as c:
        yield c
