"""GET /agents, the calendar feed, and the self-check against a fake sidecar."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from icalendar import Calendar

from actors import job_name
from agent._self_check import reconcile_all

from .fakes import FakeSidecar


def body(task_id: str, **fields: Any) -> dict[str, Any]:
    due = "2030-01-02T09:00:00Z"
    return {"id": task_id, "title": f"Task {task_id}", "assignee": "bob", "due_at": due, **fields}


async def test_agents_with_open_tasks_are_listed_with_their_next_fire(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/agents/alice/tasks", json=body("t1"))
    await client.post("/agents/carol/tasks", json=body("t1"))
    await client.post("/agents/carol/tasks/t1/complete")
    response = await client.get("/agents")
    assert response.status_code == 200, response.text
    (alice,) = response.json()["agents"]
    assert (alice["agent_id"], alice["open_tasks"]) == ("alice", 1)
    assert alice["next_fire"]["step"] == "reminder"


async def test_the_calendar_feed_has_one_event_per_task_not_cancelled(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/agents/alice/tasks", json=body("t1", time_zone="Europe/Berlin"))
    await client.post("/agents/alice/tasks", json=body("t2", description="second"))
    await client.post("/agents/alice/tasks", json=body("t3"))
    await client.delete("/agents/alice/tasks/t3")
    await client.post("/agents/alice/tasks/t2/complete")
    response = await client.get("/agents/alice/tasks.ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Task t1", "Task t2"]
    assert events[0]["dtstart"].dt.isoformat() == "2030-01-02T09:00:00+00:00"
    assert "2030-01-02T10:00:00+01:00 (Europe/Berlin)" in str(events[0]["description"])
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "COMPLETED"]
    assert str(events[0]["uid"]) == "alice.t1@pm-reminder-agent"


async def test_the_self_check_finds_a_job_dapr_gave_up_on(
    app: FastAPI, client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post("/agents/alice/tasks", json=body("t1", remind_before="P2D"))  # due now
    runtime = app.state.runtime
    assert await reconcile_all(runtime) == 0  # the job is still there
    del sidecar.jobs[job_name("alice", "t1", "reminder")]  # its failure policy ran out
    runtime.services.clock.value += 60  # past the grace
    assert await reconcile_all(runtime) == 1
    task = (await client.get("/agents/alice/tasks/t1")).json()
    assert [m["step"] for m in task["missed_fires"]] == ["reminder"]
    assert sidecar.jobs[job_name("alice", "t1", "reminder")]["data"]["scheduleVersion"] == 2


async def test_the_agent_history_carries_the_notifiers_delivery_status(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post("/agents/alice/tasks", json=body("t1", remind_before="P2D"))  # moved to now
    data = sidecar.jobs[job_name("alice", "t1", "reminder")]["data"]
    assert (await client.post(f"/job/{job_name('alice', 't1', 'reminder')}", json=data)).is_success
    (note,) = (await client.get("/agents/alice/notifications")).json()["notifications"]
    assert (note["delivery_status"], note["moved_to_now"]) == ("delivered", True)
    sidecar.notifier_down = True
    (note,) = (await client.get("/agents/alice/notifications")).json()["notifications"]
    assert note["delivery_status"] == "unknown"
