"""APP_API_TOKEN end to end: each sidecar sends its app's token on every call to the app (job
triggers, actor calls, service invocation), so the flow works; a caller without it is refused.

Also what the apps log as processes: where they listen, and no line per outbound request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ._support import ACTOR_TYPE, AGENT_ID, NOTIFIER_ID, System, running_system

pytestmark = [pytest.mark.integration]

TOKENS = {AGENT_ID: "agent-app-token", NOTIFIER_ID: "notifier-app-token"}
AGENT, TASK = "tok", "t1"


async def assign(system: System, due: datetime) -> dict[str, Any]:
    body = {"id": TASK, "title": "guarded", "assignee": "bob", "due_at": due.isoformat()}
    body["remind_before"] = "1h" if system.virtual_time else "2s"
    r = await system.client.post(f"{system.agent.url}/agents/{AGENT}/tasks", json=body)
    assert r.status_code == 201, r.text
    task: dict[str, Any] = r.json()
    return task


async def reminder_stored(system: System) -> list[dict[str, Any]]:
    found = await system.stored_notifications(AGENT, TASK)
    return [n for n in found if n["kind"] == "reminder"]


async def test_with_app_tokens_the_flow_works_and_forged_calls_get_401(tmp_path: Path) -> None:
    async with running_system(tmp_path, app_tokens=TOKENS) as system:
        ahead = timedelta(days=2) if system.virtual_time else timedelta(seconds=4)
        task = await assign(system, await system.now() + ahead)
        await system.advance_to(datetime.fromisoformat(task["remind_at"]) + timedelta(seconds=1))
        await system.until(lambda: reminder_stored(system), "the reminder, through both tokens")

        record = {"actorType": ACTOR_TYPE, "actorId": AGENT, "taskId": TASK}
        record |= {"kind": "overdue", "scheduleVersion": 1}
        forged_job = f"{system.agent.url}/job/pm-overdue-tok--t1"
        for headers in ({}, {"dapr-api-token": "guess"}, {"dapr-api-token": TOKENS[NOTIFIER_ID]}):
            refused(await system.client.post(forged_job, json=record, headers=headers))
        forged_note = {"id": "tok:t1:overdue:1", "agent_id": AGENT, "task_id": TASK}
        refused(await system.client.post(f"{system.notifier.url}/notifications", json=forged_note))

        await system.settle()
        kinds = [n["kind"] for n in await system.stored_notifications(AGENT, TASK)]
        assert kinds == ["reminder"], system.diagnostics()
        assert (await system.client.get(f"{system.agent.url}/healthz")).status_code == 200
        assert_logs_are_quiet(system)


def refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["errorCode"] == "ERR_INVALID_APP_TOKEN", response.text


def assert_logs_are_quiet(system: System) -> None:
    agent, notifier = system.agent.output(), system.notifier.output()
    assert f"agent ready on http://127.0.0.1:{system.agent.port} (API docs /docs)" in agent
    assert f"notifier ready on http://127.0.0.1:{system.notifier.port} (API docs /docs)" in notifier
    assert "NOTIFY tok:t1:reminder:1" in notifier
    for output in (agent, notifier):
        assert "HTTP Request:" not in output, output[-3000:]
