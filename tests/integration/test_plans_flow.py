"""Reminder plans, escalation, acknowledge, snooze and recurring tasks end to end: the agent, the
notifier and their sidecars as real processes (see ``test_agent_flow`` for the set-up).

The runtime-agnostic tests count in a unit ``U``: an hour on the dev clock, two seconds of real
time on daprd. The DST test jumps months of virtual time and is ``local_only``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from mcp import Client  # the mcp package's own client, over streamable HTTP

from ._support import System, running_system

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    async with running_system(tmp_path_factory.mktemp("plans-system")) as started:
        yield started


def unit(system: System) -> timedelta:
    return timedelta(hours=1) if system.virtual_time else timedelta(seconds=2)


def iso(span: timedelta) -> str:
    return f"PT{int(span.total_seconds())}S"


async def assign(system: System, agent: str, task_id: str, due: datetime, **plan: Any) -> Any:
    body = {"id": task_id, "title": f"task {task_id}", "assignee": "bob", "due_at": due.isoformat()}
    r = await system.client.post(f"{system.agent.url}/agents/{agent}/tasks", json={**body, **plan})
    assert r.status_code == 201, r.text
    return r.json()


async def post(system: System, agent: str, task_id: str, action: str, body: Any = None) -> Any:
    url = f"{system.agent.url}/agents/{agent}/tasks/{task_id}/{action}"
    r = await system.client.post(url, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def steps_sent(system: System, agent: str, task_id: str) -> list[str]:
    """The steps the agent sent, in its order, each stored once by the notifier (the agent lists
    a notification after the notifier stored it, so it is read first)."""
    sent = await system.sent_notifications(agent, task_id)
    stored = {n["id"]: n for n in await system.stored_notifications(agent, task_id)}
    assert all(stored.get(n["id"], {}).get("delivered") for n in sent), (stored, sent)
    assert len({n["id"] for n in sent}) == len(sent), sent
    return [n["step"] for n in sent]


async def wait_steps(system: System, agent: str, task_id: str, count: int) -> list[str]:
    async def enough() -> list[str] | None:
        steps = await steps_sent(system, agent, task_id)
        return steps if len(steps) >= count else None

    return await system.until(enough, f"{count} notifications for {agent}/{task_id}")


def plan_of(u: timedelta) -> dict[str, Any]:
    """Two reminders (4U and 2U before due) and three escalations, 2U apart, from due."""
    escalation = {"escalate_to": ["lead"], "every": iso(2 * u), "max": 3}
    return {"reminders": [iso(4 * u), iso(2 * u)], "escalation": escalation}


ALL_STEPS = ["reminder", "reminder2", "overdue", "escalation", "escalation2", "escalation3"]


async def test_a_two_step_plan_and_a_three_step_escalation_fire_in_order_once_each(
    system: System,
) -> None:
    u = unit(system)
    due = await system.now() + 6 * u
    task = await assign(system, "plan1", "t", due, **plan_of(u))
    assert [f["step"] for f in task["next_fires"]] == ALL_STEPS
    await system.advance_to(due + 4 * u + timedelta(seconds=1))
    assert await wait_steps(system, "plan1", "t", 6) == ALL_STEPS
    await system.advance_to(due + 6 * u)
    await system.settle()
    sent = await system.sent_notifications("plan1", "t")
    assert [n["step"] for n in sent] == ALL_STEPS
    assert [n["recipients"] for n in sent][2:4] == [["bob"], ["lead"]]
    assert [datetime.fromisoformat(n["fire_at"]) for n in sent] == [
        due - 4 * u,
        due - 2 * u,
        due,
        due,
        due + 2 * u,
        due + 4 * u,
    ]


async def test_acknowledge_stops_the_escalation_chain(system: System) -> None:
    u = unit(system)
    due = await system.now() + 6 * u
    await assign(system, "plan2", "t", due, **plan_of(u))
    await system.advance_to(due + 2 * u + timedelta(seconds=1))
    assert await wait_steps(system, "plan2", "t", 5) == ALL_STEPS[:5]
    acked = await post(system, "plan2", "t", "ack")
    assert acked["next_fires"] == [] and acked["acknowledged_at"]
    await system.advance_to(due + 6 * u)
    await system.settle()
    assert await steps_sent(system, "plan2", "t") == ALL_STEPS[:5]


async def test_snooze_moves_the_next_fire(system: System) -> None:
    u = unit(system)
    due = await system.now() + 8 * u
    await assign(system, "snooze3", "t", due, reminders=[iso(6 * u)])
    until = due - u
    snoozed = await post(system, "snooze3", "t", "snooze", {"until": until.isoformat()})
    assert datetime.fromisoformat(snoozed["next_fires"][0]["at"]) == until
    await system.advance_to(due - 2 * u)  # past the reminder's old time
    await system.settle()
    assert await steps_sent(system, "snooze3", "t") == []
    await system.advance_to(until + timedelta(seconds=1))
    assert await wait_steps(system, "snooze3", "t", 1) == ["reminder"]
    (note,) = await system.stored_notifications("snooze3", "t")
    assert note["snoozed"] is True and note["id"] == "snooze3:t:reminder:2"


WEEKLY = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=0;COUNT=3"


@pytest.mark.local_only("jumps a year of dev-clock time")
async def test_weekly_friday_nine_berlin_fires_at_nine_local_across_both_dst_changes(
    system: System,
) -> None:
    """Europe/Berlin moves to CEST on 28 March 2027 and back to CET on 31 October 2027."""
    spring = {"time_zone": "Europe/Berlin", "reminders": [], "recurrence": WEEKLY}
    await assign(
        system, "dst4", "spring", datetime.fromisoformat("2027-03-19T09:00:00+01:00"), **spring
    )
    await assign(
        system, "dst4", "autumn", datetime.fromisoformat("2027-10-22T09:00:00+02:00"), **spring
    )
    await system.advance_to(datetime.fromisoformat("2027-04-02T07:00:01+00:00"))
    await system.advance_to(datetime.fromisoformat("2027-11-05T08:00:01+00:00"))
    fired: dict[str, list[str]] = {}
    for series in ("spring", "autumn"):
        for task_id in (series, f"{series}.2", f"{series}.3"):
            (note,) = await _wait_kind(system, "dst4", task_id, "overdue")
            fired.setdefault(series, []).append(note["fire_at"])
    assert fired == {
        "spring": ["2027-03-19T08:00:00Z", "2027-03-26T08:00:00Z", "2027-04-02T07:00:00Z"],
        "autumn": ["2027-10-22T07:00:00Z", "2027-10-29T07:00:00Z", "2027-11-05T08:00:00Z"],
    }
    last = (await system.client.get(f"{system.agent.url}/agents/dst4/tasks/spring.3")).json()
    assert last["due_at_local"] == "2027-04-02T09:00:00+02:00" and last["next_fires"] == []


async def _wait_kind(system: System, agent: str, task_id: str, kind: str) -> list[dict[str, Any]]:
    async def found() -> list[dict[str, Any]]:
        notes = await system.stored_notifications(agent, task_id)
        return [n for n in notes if n["kind"] == kind]

    return await system.until(found, f"a {kind} notification for {agent}/{task_id}")


async def test_an_mcp_client_assigns_a_task_and_later_sees_its_reminder_in_the_history(
    system: System,
) -> None:
    u = unit(system)
    due = await system.now() + 6 * u
    async with Client(f"{system.agent.url}/mcp") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"assign", "snooze", "acknowledge", "upcoming", "history"} <= tools
        args = {"agent_id": "mcp5", "id": "t", "title": "Follow up", "assignee": "bob"}
        args |= {"due_at": due.isoformat(), "reminders": [iso(2 * u)]}
        assigned = await client.call_tool("assign", args)
        assert not assigned.is_error, assigned
        assert assigned.structured_content["next_fires"][0]["step"] == "reminder"
        await system.advance_to(due - 2 * u + timedelta(seconds=1))

        async def reminded() -> list[dict[str, Any]]:
            result = await client.call_tool("history", {"agent_id": "mcp5", "task_id": "t"})
            assert not result.is_error, result
            return list(result.structured_content["notifications"])

        (note,) = await system.until(reminded, "the reminder in the MCP history")
        assert (note["id"], note["step"]) == ("mcp5:t:reminder:1", "reminder")
