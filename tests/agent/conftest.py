from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from dapr.actor import ActorRuntime
from dapr.actor.runtime.config import ActorRuntimeConfig
from dapr.conf import settings as dapr_settings
from fastapi import FastAPI

from agent import AgentSettings, create_app

from .fakes import FakeSidecar

SIDECAR = "http://sidecar.test"


class ManualClock:
    def __init__(self) -> None:
        self.value = datetime(2030, 1, 1, 9, 0, tzinfo=UTC).timestamp()

    def now(self) -> float:
        return self.value


@pytest.fixture(autouse=True)
def actor_runtime() -> Iterator[None]:
    """The SDK keeps actor types in a process-global registry; start and end each test empty."""
    ActorRuntime._actor_managers = {}
    ActorRuntime._actor_managers_lock = asyncio.Lock()
    ActorRuntime._actor_config = ActorRuntimeConfig()
    yield
    ActorRuntime._actor_managers = {}


@pytest.fixture(autouse=True)
def sdk_settings() -> Iterator[None]:
    """Point the SDK's own settings at nothing real, in case any SDK path reads them."""
    names = {"DAPR_HTTP_ENDPOINT": "http://127.0.0.1:9", "DAPR_HEALTH_TIMEOUT": 1}
    for name, value in names.items():
        setattr(dapr_settings, name, value)
    yield
    for name in names:
        delattr(dapr_settings, name)


@pytest.fixture
def sidecar() -> FakeSidecar:
    return FakeSidecar()


@pytest.fixture
def settings() -> AgentSettings:
    return AgentSettings(dapr_http_endpoint=SIDECAR, dapr_api_token="secret")


@pytest.fixture
async def app(settings: AgentSettings, sidecar: FakeSidecar) -> AsyncIterator[FastAPI]:
    async with httpx.AsyncClient(transport=sidecar.transport()) as outbound:
        application = create_app(settings, http_client=outbound, clock=ManualClock())
        async with application.router.lifespan_context(application):
            yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agent.test") as http:
        yield http
