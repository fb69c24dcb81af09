from __future__ import annotations

import logging

import httpx
import pytest

from actors import job_name

from .fakes import FakeSidecar

TASK = {"id": "t1", "title": "Write report", "assignee": "bob", "due_at": "2030-01-01T10:00:00Z"}


async def trigger(client: httpx.AsyncClient, sidecar: FakeSidecar, kind: str) -> httpx.Response:
    name = job_name("alice", "t1", kind)
    return await client.post(f"/job/{name}", json=sidecar.jobs[name]["data"])


async def test_reminder_fire_notifies_once(client: httpx.AsyncClient, sidecar: FakeSidecar) -> None:
    await client.post("/agents/alice/tasks", json=TASK)
    first = await trigger(client, sidecar, "reminder")
    second = await trigger(client, sidecar, "reminder")
    assert (first.status_code, first.json()["outcome"]) == (200, "notify")
    assert (second.status_code, second.json()["outcome"]) == (200, "duplicate")
    assert [n["id"] for n in sidecar.notifications] == ["alice:t1:reminder:1"]
    listed = await client.get("/agents/alice/notifications")
    assert [n["kind"] for n in listed.json()["notifications"]] == ["reminder"]


async def test_stale_fire_after_reschedule_is_acknowledged(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post("/agents/alice/tasks", json=TASK)
    name = job_name("alice", "t1", "reminder")
    old = sidecar.jobs[name]["data"]
    await client.patch("/agents/alice/tasks/t1", json={"due_at": "2030-01-01T11:00:00Z"})
    response = await client.post(f"/job/{name}", json=old)
    assert (response.status_code, response.json()["outcome"]) == (200, "stale")
    assert sidecar.notifications == []


async def test_notifier_down_answers_503_so_dapr_retries(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post("/agents/alice/tasks", json=TASK)
    sidecar.notifier_down = True
    response = await trigger(client, sidecar, "reminder")
    assert response.status_code == 503
    sidecar.notifier_down = False
    assert (await trigger(client, sidecar, "reminder")).json()["outcome"] == "notify"
    assert len(sidecar.notifications) == 1


async def test_task_job_with_bad_record_is_dropped(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/job/{job_name('alice', 't1', 'reminder')}", json={"x": 1})
    assert (response.status_code, response.json()["status"]) == (200, "dropped")


@pytest.mark.parametrize("payload", [{"message": "hi", "source": "lab-1"}, "plain", None])
async def test_lab_jobs_are_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, payload: object
) -> None:
    caplog.set_level(logging.INFO, logger="agent")
    response = await client.post("/job/lab-1", json=payload)
    assert response.status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == "agent._lab"]
    assert messages[0] == "Received call to /executeScheduledTask by Dapr Job."
    assert messages[1].startswith("Received JSON data: ")


async def test_execute_scheduled_task_logs_its_json(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agent")
    response = await client.post("/executeScheduledTask", json={"a": 1})
    assert response.status_code == 200
    assert 'Received JSON data: {"a": 1}' in caplog.messages
