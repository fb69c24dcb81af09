from __future__ import annotations

from typing import Any

import httpx
import pytest

from actors import job_name

from .fakes import FakeSidecar

DUE = "2030-01-01T12:00:00+02:00"
TASKS = "/agents/alice/tasks"


def body(**fields: Any) -> dict[str, Any]:
    return {"id": "t1", "title": "Write report", "assignee": "bob", "due_at": DUE, **fields}


async def test_create_returns_201_with_location_and_schedules_jobs(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    response = await client.post(TASKS, json=body(remind_before="30m", time_zone="Europe/Rome"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/agents/alice/tasks/t1"
    task = response.json()
    assert task["remind_at"] == "2030-01-01T09:30:00Z"
    assert task["due_at_local"] == "2030-01-01T11:00:00+01:00"
    reminder = sidecar.jobs[job_name("alice", "t1", "reminder")]
    assert reminder["dueTime"] == "2030-01-01T09:30:00Z"
    assert reminder["failurePolicy"] == {"constant": {"interval": "5s", "maxRetries": 120}}
    assert reminder["data"]["scheduleVersion"] == 1
    assert all(r.headers["dapr-api-token"] == "secret" for r in sidecar.requests)


async def test_assigning_a_new_task_to_a_known_agent_reads_no_state(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    """The actor knows its task ids (cached from its last turn): a new id is not looked up."""
    assert (await client.post(TASKS, json=body(id="t1"))).status_code == 201
    sidecar.requests.clear()
    assert (await client.post(TASKS, json=body(id="t2"))).status_code == 201
    calls = [(r.method, r.url.path) for r in sidecar.requests]
    assert calls == [
        ("POST", "/v1.0/actors/ProjectManagementAgent/alice/method/AssignTask"),
        ("POST", f"/v1.0-alpha1/jobs/{job_name('alice', 't2', 'reminder')}"),
        ("PUT", "/v1.0/actors/ProjectManagementAgent/alice/state"),
    ]


async def test_create_is_idempotent_with_client_id(client: httpx.AsyncClient) -> None:
    assert (await client.post(TASKS, json=body())).status_code == 201
    again = await client.post(TASKS, json=body())
    assert again.status_code == 200
    conflict = await client.post(TASKS, json=body(title="Other"))
    assert conflict.status_code == 409
    assert conflict.json()["errorCode"] == "ERR_TASK_ID_CONFLICT"


async def test_create_without_id_generates_one(client: httpx.AsyncClient) -> None:
    response = await client.post(TASKS, json=body(id=None))
    assert response.status_code == 201
    assert response.headers["location"].endswith(response.json()["id"])


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"due_at": "2029-01-01T00:00:00Z"}, 422, "ERR_DUE_DATE_IN_PAST", "due_at"),
        ({"due_at": "2030-01-01 12:00"}, 422, "ERR_INVALID_TIME", "due_at"),
        ({"remind_before": "soon"}, 422, "ERR_INVALID_DURATION", "remind_before"),
        ({"id": "no spaces"}, 400, "ERR_INVALID_ID", "id"),
        ({"title": ""}, 422, "ERR_INVALID_FIELD", "title"),
        ({"due_at": None}, 422, "ERR_INVALID_FIELD", "due_at"),
        ({"priority": 1}, 422, "ERR_INVALID_FIELD", "priority"),
    ],
)
async def test_bad_input_is_a_clear_4xx(
    client: httpx.AsyncClient, fields: dict[str, Any], status: int, code: str, field: str
) -> None:
    response = await client.post(TASKS, json=body(**fields))
    assert response.status_code == status, response.text
    assert response.json()["errorCode"] == code
    assert response.json()["details"]["field"] == field


async def test_bad_path_ids_are_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/agents/al%20ice/tasks")
    assert (response.status_code, response.json()["details"]["field"]) == (400, "agent_id")
    response = await client.get("/agents/alice/tasks/-t1")
    assert (response.status_code, response.json()["details"]["field"]) == (400, "task_id")


async def test_unknown_task_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{TASKS}/nope")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "ERR_TASK_NOT_FOUND"


async def test_patch_reschedules_and_overwrites_jobs(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post(TASKS, json=body())
    response = await client.patch(f"{TASKS}/t1", json={"due_at": "2030-01-02T10:00:00Z"})
    assert response.status_code == 200
    assert response.json()["schedule_version"] == 2
    reminder = sidecar.jobs[job_name("alice", "t1", "reminder")]
    assert (reminder["dueTime"], reminder["data"]["scheduleVersion"]) == ("2030-01-02T09:45:00Z", 2)
    assert list(sidecar.jobs) == [job_name("alice", "t1", "reminder")]


async def test_delete_cancels_and_removes_jobs(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post(TASKS, json=body())
    assert (await client.delete(f"{TASKS}/t1")).status_code == 204
    assert sidecar.jobs == {}
    assert (await client.get(f"{TASKS}/t1")).json()["status"] == "cancelled"
    assert (await client.delete(f"{TASKS}/t1")).status_code == 204
    assert (await client.post(f"{TASKS}/t1/complete")).status_code == 409


async def test_complete_and_list_filters(client: httpx.AsyncClient) -> None:
    await client.post(TASKS, json=body())
    await client.post(TASKS, json=body(id="t2", assignee="carol"))
    done = await client.post(f"{TASKS}/t2/complete")
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    listed = await client.get(TASKS, params={"status": "open"})
    assert [t["id"] for t in listed.json()["tasks"]] == ["t1"]
    listed = await client.get(TASKS, params={"assignee": "carol"})
    assert [t["id"] for t in listed.json()["tasks"]] == ["t2"]
    assert (await client.get(TASKS, params={"status": "late"})).status_code == 422


async def test_actor_unreachable_is_502(client: httpx.AsyncClient, sidecar: FakeSidecar) -> None:
    sidecar.actors_down = True
    response = await client.post(TASKS, json=body())
    assert response.status_code == 502
    assert response.json()["errorCode"] == "ERR_ACTOR_CALL_FAILED"


async def test_direct_actor_invocation_does_the_same(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    """What the sidecar sends the app for POST /v1.0/actors/.../method/AssignTask."""
    response = await client.put(
        "/actors/ProjectManagementAgent/alice/method/AssignTask", json=body()
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert job_name("alice", "t1", "reminder") in sidecar.jobs
    assert (await client.get(f"{TASKS}/t1")).json()["title"] == "Write report"


async def test_openapi_documents_the_api(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"post", "get"} <= set(paths["/agents/{agent_id}/tasks"])
    assert {"get", "patch", "delete"} <= set(paths["/agents/{agent_id}/tasks/{task_id}"])


PLAN = {"reminders": ["PT1H", "PT30M"], "escalation": {"escalate_to": ["lead"], "every": "PT4H"}}


async def test_plan_ack_snooze_and_upcoming_over_http(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    created = await client.post(TASKS, json=body(due_at="2030-01-01T12:00:00Z", **PLAN))
    assert created.status_code == 201, created.text
    assert [f["step"] for f in created.json()["next_fires"]][:3] == [
        "reminder",
        "reminder2",
        "overdue",
    ]
    snoozed = await client.post(f"{TASKS}/t1/snooze", json={"for": "PT2H15M"})
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["next_fires"][0]["at"] == "2030-01-01T11:15:00Z"
    assert sidecar.jobs[job_name("alice", "t1", "reminder")]["dueTime"] == "2030-01-01T11:15:00Z"
    upcoming = await client.get("/agents/alice/upcoming", params={"limit": 2})
    assert upcoming.status_code == 200, upcoming.text
    assert [f["step"] for f in upcoming.json()["upcoming"]] == ["reminder", "reminder2"]
    acked = await client.post(f"{TASKS}/t1/ack")
    assert acked.status_code == 200 and acked.json()["next_fires"] == [], acked.text
    assert sidecar.jobs == {}


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"recurrence": "FREQ=SOMETIMES"}, "ERR_INVALID_RECURRENCE", "recurrence"),
        ({"reminders": ["P1D", "a while"]}, "ERR_INVALID_DURATION", "reminders.1"),
        (
            {"escalation": {"escalate_to": ["x"], "every": "often"}},
            "ERR_INVALID_DURATION",
            "escalation.every",
        ),
        ({"time_zone": "Moon/Base"}, "ERR_INVALID_TIME", "time_zone"),
    ],
)
async def test_bad_plan_or_rule_is_422_naming_the_field_and_stores_nothing(
    client: httpx.AsyncClient, sidecar: FakeSidecar, fields: dict[str, Any], code: str, field: str
) -> None:
    response = await client.post(TASKS, json=body(**fields))
    assert response.status_code == 422, response.text
    assert (response.json()["errorCode"], response.json()["details"]["field"]) == (code, field)
    assert sidecar.jobs == {}
    assert (await client.get(TASKS)).json() == {"tasks": []}


async def test_bad_snooze_is_422_and_changes_nothing(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    before = (await client.post(TASKS, json=body())).json()
    response = await client.post(f"{TASKS}/t1/snooze", json={"for": "two hours"})
    assert response.status_code == 422, response.text
    assert (response.json()["errorCode"], response.json()["details"]["field"]) == (
        "ERR_INVALID_DURATION",
        "for",
    )
    assert (await client.get(f"{TASKS}/t1")).json() == before
    missing = await client.post(f"{TASKS}/nope/ack")
    assert missing.status_code == 404
