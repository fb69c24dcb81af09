"""The agent's ``/metrics``: tasks by the status they entered, job triggers by answer."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

TASKS = "/agents/alice/tasks"
BODY = {"title": "Write report", "assignee": "bob", "due_at": "2030-01-01T12:00:00+02:00"}


async def values(client: httpx.AsyncClient, name: str) -> dict[str, float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    return {
        s.labels["status"]: s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
        if s.name == name
    }


async def test_tasks_are_counted_by_the_status_they_enter(client: httpx.AsyncClient) -> None:
    for task_id in ("t1", "t2", "t3"):
        assert (await client.post(TASKS, json={"id": task_id, **BODY})).status_code == 201
    assert (await client.post(TASKS, json={"id": "t1", **BODY})).status_code == 200  # a repeat
    assert (await client.post(f"{TASKS}/t1/complete")).status_code == 200
    assert (await client.delete(f"{TASKS}/t2")).status_code == 204
    assert (await client.delete(f"{TASKS}/nope")).status_code == 404
    counted = await values(client, "pm_agent_tasks_total")
    assert counted == {"open": 3, "done": 1, "cancelled": 1}
