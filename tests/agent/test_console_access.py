"""The console with PM_API_KEY set: a login form that sets an HTTP-only cookie, or the key as a
Bearer header; without either, nothing is shown and nothing changes."""

from __future__ import annotations

import httpx
import pytest

from agent import AgentSettings

from .conftest import SIDECAR

API_KEY = "key-secret"
FORM = {
    "agent_id": "alice",
    "id": "t1",
    "title": "Write the report",
    "assignee": "bob",
    "due_at": "2030-01-02T10:00",
}
TASK = {k: v for k, v in FORM.items() if k != "agent_id"}
ACTIONS = [
    ("/console/tasks", FORM),
    ("/console/agents/alice/tasks/t1/complete", {}),
    ("/console/agents/alice/tasks/t1/ack", {}),
    ("/console/agents/alice/tasks/t1/snooze", {"for": "1h"}),
    ("/console/dead-letters/x/replay", {}),
]


@pytest.fixture
def settings() -> AgentSettings:
    return AgentSettings(dapr_http_endpoint=SIDECAR, api_key=API_KEY)


async def open_tasks(client: httpx.AsyncClient) -> list[object]:
    headers = {"authorization": f"Bearer {API_KEY}"}
    response = await client.get("/agents/alice/tasks", headers=headers)
    assert response.status_code == 200, response.text
    tasks: list[object] = response.json()["tasks"]
    return tasks


async def test_without_signing_in_the_page_sends_to_the_login_form(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/console")
    assert (response.status_code, response.headers["location"]) == (303, "/console/login")
    login = await client.get("/console/login")
    assert login.status_code == 200 and 'name="key"' in login.text


@pytest.mark.parametrize(("path", "data"), ACTIONS)
async def test_without_signing_in_no_form_changes_anything(
    client: httpx.AsyncClient, path: str, data: dict[str, str]
) -> None:
    await client.post(
        "/agents/alice/tasks",
        json={**TASK, "due_at": "2030-01-02T10:00:00Z"},
        headers={"authorization": f"Bearer {API_KEY}"},
    )
    (before,) = await open_tasks(client)
    client.cookies.set("pm_console", "forged")
    response = await client.post(path, data=data)
    assert response.status_code == 401, response.text
    assert "sign in with the API key" in response.text
    assert await open_tasks(client) == [before]


async def test_a_wrong_or_missing_key_is_refused_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    wrong = await client.post("/console/login", data={"key": "guess"})
    assert (wrong.status_code, "pm_console" in wrong.headers.get("set-cookie", "")) == (401, False)
    assert "key: wrong API key" in wrong.text and 'aria-invalid="true"' in wrong.text
    missing = await client.post("/console/login", data={"key": ""})
    assert missing.status_code == 400 and "key: enter the API key" in missing.text


async def test_signing_in_sets_an_http_only_same_site_cookie_that_opens_the_console(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/console/login", data={"key": API_KEY})
    assert (response.status_code, response.headers["location"]) == (303, "/console")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert API_KEY not in cookie  # an HMAC of the key, not the key
    assert (await client.get("/console")).status_code == 200
    assert (await client.post("/console/tasks", data=FORM)).status_code == 303
    assert len(await open_tasks(client)) == 1
    out = await client.post("/console/logout")
    assert out.status_code == 303
    assert (await client.get("/console")).status_code == 303


async def test_a_program_may_send_the_key_as_a_bearer_header(client: httpx.AsyncClient) -> None:
    headers = {"authorization": f"Bearer {API_KEY}"}
    assert (await client.get("/console", headers=headers)).status_code == 200
    wrong = {"authorization": "Bearer guess"}
    assert (await client.get("/console", headers=wrong)).status_code == 303
