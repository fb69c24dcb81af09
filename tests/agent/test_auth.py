"""Who may call what. With APP_API_TOKEN set, every route the sidecar calls (job triggers, the
SDK's /actors and /dapr routes) needs ``dapr-api-token`` equal to it; with PM_API_KEY set, the
task and lab API need ``Authorization: Bearer <key>``; /healthz stays open. Unset: all open."""

from __future__ import annotations

import httpx
import pytest

from actors import job_name
from agent import AgentSettings

from ..conftest import problem
from .conftest import SIDECAR
from .fakes import FakeSidecar

APP_TOKEN, API_KEY = "app-secret", "key-secret"
SIDECAR_SENDS = {"dapr-api-token": APP_TOKEN}
USER_SENDS = {"authorization": f"Bearer {API_KEY}"}
TASK = {"id": "t1", "title": "Write report", "assignee": "bob", "due_at": "2030-01-01T10:00:00Z"}
RECORD = {"actorType": "ProjectManagementAgent", "actorId": "alice", "taskId": "t1"}
OVERDUE = job_name("alice", "t1", "overdue")
REMINDER = job_name("alice", "t1", "reminder")  # the job a new task has: its first step's

# (method, path, body) per route family
SIDECAR_CALLS = [
    ("POST", f"/job/{OVERDUE}", {**RECORD, "kind": "overdue", "scheduleVersion": 1}),
    ("POST", "/job/lab-job", {"note": "lab"}),
    ("PUT", "/actors/ProjectManagementAgent/alice/method/ListTasks", {}),
    ("DELETE", "/actors/ProjectManagementAgent/alice", None),
    ("GET", "/dapr/config", None),
    ("GET", "/dapr/subscribe", None),
]
API_CALLS = [
    ("GET", "/agents/alice/tasks", None),
    ("POST", "/agents/alice/tasks", TASK),
    ("GET", "/programmatic/task-status/lab-job", None),
    ("DELETE", "/programmatic/delete-task/lab-job", None),
    ("POST", "/programmatic/schedule-task?job_name=lab-job&due_time=1s", None),
    ("POST", "/executeScheduledTask", {"a": 1}),
]


@pytest.fixture
def settings() -> AgentSettings:
    return AgentSettings(
        dapr_http_endpoint=SIDECAR, dapr_api_token="dapr", app_api_token=APP_TOKEN, api_key=API_KEY
    )


async def call(
    client: httpx.AsyncClient, route: tuple[str, str, object], headers: dict[str, str]
) -> httpx.Response:
    method, path, body = route
    return await client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("route", SIDECAR_CALLS, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize(
    "headers",
    [{}, {"dapr-api-token": "wrong"}, {"dapr-api-token": APP_TOKEN + "x"}, USER_SENDS],
    ids=["none", "wrong", "longer", "api-key"],
)
async def test_sidecar_routes_refuse_a_caller_without_the_app_token(
    client: httpx.AsyncClient,
    sidecar: FakeSidecar,
    route: tuple[str, str, object],
    headers: dict[str, str],
) -> None:
    body = problem(await call(client, route, headers), 401, "ERR_INVALID_APP_TOKEN")
    assert body["details"] == {"header": "dapr-api-token"}
    assert sidecar.requests == [] and sidecar.notifications == []  # nothing reached the actor


@pytest.mark.parametrize("route", SIDECAR_CALLS, ids=lambda r: f"{r[0]} {r[1]}")
async def test_sidecar_routes_serve_the_sidecar(
    client: httpx.AsyncClient, route: tuple[str, str, object]
) -> None:
    response = await call(client, route, SIDECAR_SENDS)
    assert response.status_code != 401, response.text


@pytest.mark.parametrize("route", API_CALLS, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer wrong"},
        {"authorization": API_KEY},
        {"authorization": f"Basic {API_KEY}"},
        SIDECAR_SENDS,
    ],
    ids=["none", "wrong", "no-scheme", "basic", "app-token"],
)
async def test_api_routes_refuse_a_caller_without_the_key(
    client: httpx.AsyncClient,
    sidecar: FakeSidecar,
    route: tuple[str, str, object],
    headers: dict[str, str],
) -> None:
    response = await call(client, route, headers)
    body = problem(response, 401, "ERR_INVALID_API_KEY")
    assert "PM_API_KEY" in body["message"] and response.headers["www-authenticate"] == "Bearer"
    assert sidecar.requests == []


@pytest.mark.parametrize("route", API_CALLS, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_api_routes_serve_a_caller_with_the_key(
    client: httpx.AsyncClient, route: tuple[str, str, object], scheme: str
) -> None:
    response = await call(client, route, {"authorization": f"{scheme} {API_KEY}"})
    assert response.status_code != 401, response.text


async def test_a_forged_fire_sends_nothing_and_the_real_one_works(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    assert (await client.post("/agents/alice/tasks", json=TASK, headers=USER_SENDS)).is_success
    data = sidecar.jobs[REMINDER]["data"]
    forged = await client.post(f"/job/{REMINDER}", json=data)
    assert (forged.status_code, sidecar.notifications) == (401, [])
    real = await client.post(f"/job/{REMINDER}", json=data, headers=SIDECAR_SENDS)
    assert real.json()["outcome"] == "notify"
    assert [n["kind"] for n in sidecar.notifications] == ["reminder"]


async def test_lab_delete_without_the_key_keeps_the_job(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post("/agents/alice/tasks", json=TASK, headers=USER_SENDS)
    response = await client.delete(f"/programmatic/delete-task/{REMINDER}")
    assert response.status_code == 401
    assert REMINDER in sidecar.jobs


@pytest.mark.parametrize("path", ["/healthz", "/docs", "/openapi.json"])
async def test_health_and_docs_stay_open(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 200


def test_tokens_come_from_the_environment_and_stay_out_of_repr() -> None:
    env = {"APP_API_TOKEN": "a", "PM_API_KEY": "k"}
    settings = AgentSettings.from_env(env)
    assert (settings.app_api_token, settings.api_key) == ("a", "k")
    assert "'a'" not in repr(settings) and "'k'" not in repr(settings)
    assert AgentSettings.from_env({"APP_API_TOKEN": "", "PM_API_KEY": ""}).api_key is None
