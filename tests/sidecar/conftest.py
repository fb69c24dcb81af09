from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from sidecar._config import SidecarConfig
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock
from sidecar.jobs import MemoryJobStore
from tests.integration._processes import SidecarProcess

from ._inprocess import asgi_client
from ._runner_procs import TINY_APP


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
    async with asgi_client(sidecar) as c:
        yield c


@pytest.fixture
def runners() -> Iterator[list[SidecarProcess]]:
    """Runner processes a test started; killed (with their process groups) at teardown."""
    started: list[SidecarProcess] = []
    yield started
    for proc in started:
        proc.kill9()


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """A folder holding TINY_APP as ``app.py``."""
    (tmp_path / "app.py").write_text(TINY_APP)
    return tmp_path


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client for real processes."""
    async with httpx.AsyncClient(timeout=5) as client:
        yield client
