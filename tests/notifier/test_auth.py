"""With APP_API_TOKEN set, the intake (reached by service invocation through the notifier's
sidecar) and any /dapr route need ``dapr-api-token``; with NOTIFIER_API_KEY set, the history
needs ``Authorization: Bearer <key>``; /healthz stays open."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from notifier import NotifierSettings, create_app

from ..conftest import problem
from .fakes import FakeStateSidecar

APP_TOKEN, API_KEY = "app-secret", "key-secret"
NOTE = {"id": "alice:t1:overdue:1", "agent_id": "alice", "task_id": "t1", "kind": "overdue"}


@pytest.fixture
async def guarded(sidecar: FakeStateSidecar) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotifierSettings(
        dapr_http_endpoint="http://sidecar.test", app_api_token=APP_TOKEN, api_key=API_KEY
    )
    async with httpx.AsyncClient(transport=sidecar.transport()) as outbound:
        app = create_app(settings, http_client=outbound)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://n.test") as http:
                yield http


@pytest.mark.parametrize(
    "headers",
    [{}, {"dapr-api-token": "wrong"}, {"authorization": f"Bearer {API_KEY}"}],
    ids=["none", "wrong", "api-key"],
)
async def test_a_forged_notification_is_refused_and_not_stored(
    guarded: httpx.AsyncClient, sidecar: FakeStateSidecar, headers: dict[str, str]
) -> None:
    response = await guarded.post("/notifications", json=NOTE, headers=headers)
    assert problem(response, 401, "ERR_INVALID_APP_TOKEN")["details"] == {
        "header": "dapr-api-token"
    }
    assert sidecar.rows == {}
    dapr_route = await guarded.get("/dapr/config", headers=headers)
    problem(dapr_route, 401, "ERR_INVALID_APP_TOKEN")


async def test_the_sidecar_delivers_with_the_token(
    guarded: httpx.AsyncClient, sidecar: FakeStateSidecar
) -> None:
    response = await guarded.post(
        "/notifications", json=NOTE, headers={"dapr-api-token": APP_TOKEN}
    )
    assert response.status_code == 201, response.text
    problem(
        await guarded.get("/dapr/config", headers={"dapr-api-token": APP_TOKEN}),
        404,
        "ERR_NOT_FOUND",
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"dapr-api-token": APP_TOKEN}],
    ids=["none", "wrong", "app-token"],
)
async def test_history_needs_the_key(guarded: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await guarded.get("/notifications", headers=headers)
    assert "NOTIFIER_API_KEY" in problem(response, 401, "ERR_INVALID_API_KEY")["message"]
    assert (await guarded.head("/notifications", headers=headers)).status_code == 401


async def test_history_with_the_key_and_health_without(guarded: httpx.AsyncClient) -> None:
    response = await guarded.get("/notifications", headers={"authorization": f"Bearer {API_KEY}"})
    assert (response.status_code, response.json()) == (200, {"notifications": []})
    assert (await guarded.get("/healthz")).status_code == 200


async def test_without_settings_everything_is_open(client: httpx.AsyncClient) -> None:
    assert (await client.post("/notifications", json=NOTE)).status_code == 201
    assert (await client.get("/notifications")).status_code == 200


def test_tokens_come_from_the_environment() -> None:
    settings = NotifierSettings.from_env({"APP_API_TOKEN": "a", "NOTIFIER_API_KEY": "k"})
    assert (settings.app_api_token, settings.api_key) == ("a", "k")
    assert "'a'" not in repr(settings) and "'k'" not in repr(settings)
