from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from notifier import NotifierSettings, create_app

from .fakes import FakeStateSidecar


@pytest.fixture
def sidecar() -> FakeStateSidecar:
    return FakeStateSidecar()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def client(
    sidecar: FakeStateSidecar, sleeps: list[float]
) -> AsyncIterator[httpx.AsyncClient]:
    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    settings = NotifierSettings(
        dapr_http_endpoint="http://sidecar.test",
        dapr_api_token="tok",
        webhook_url="http://hooks.test/notify",
    )
    async with httpx.AsyncClient(transport=sidecar.transport()) as outbound:
        app = create_app(settings, http_client=outbound, sleep=no_sleep, jitter=lambda d: d)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://n.test") as http:
                yield http
