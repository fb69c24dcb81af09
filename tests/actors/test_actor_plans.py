"""Reminder plans, escalation, acknowledge and snooze through the actor (fake ports)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from actors import ProjectManagementAgent, job_name

from .fakes import FakeNotifier, FakeScheduler, ManualClock, fire_first
from .test_actor import error, value

DUE = "2030-01-03T09:00:00Z"  # two days after the clock's start
ESCALATION = {"escalate_to": ["lead", "cto"], "every": "PT4H", "max": 3}


def plan_task(**fields: Any) -> dict[str, Any]:
    body = {
        "id": "t1",
        "title": "Ship",
        "assignee": "bob",
        "due_at": DUE,
        "reminders": ["P1D", "PT1H"],
    }
    return {**body, **fields}


async def run_all(actor: ProjectManagementAgent, scheduler: FakeScheduler) -> list[dict[str, Any]]:
    outcomes = []
    while scheduler.jobs:
        outcomes.append(await fire_first(actor, scheduler))
    return outcomes


async def test_two_step_plan_and_three_step_escalation_fire_in_order_once_each(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(plan_task(escalation=ESCALATION)))
    await run_all(actor, scheduler)
    assert [(n["step"], n["fire_at"]) for n in notifier.sent] == [
        ("reminder", "2030-01-02T09:00:00Z"),
        ("reminder2", "2030-01-03T08:00:00Z"),
        ("overdue", "2030-01-03T09:00:00Z"),
        ("escalation", "2030-01-03T09:00:00Z"),
        ("escalation2", "2030-01-03T13:00:00Z"),
        ("escalation3", "2030-01-03T17:00:00Z"),
    ]
    assert [n["recipients"] for n in notifier.sent][2:4] == [["bob"], ["lead", "cto"]]
    assert notifier.sent[4]["message"].startswith("Escalation 2/3: task 'Ship'")
    ids = [n["id"] for n in notifier.sent]
    assert ids[0] == "alice:t1:reminder:1" and len(set(ids)) == 6
    task = await value(actor.get_task({"task_id": "t1"}))
    assert task["notifications_sent"] == ids and task["next_fires"] == []


async def test_each_step_is_one_job_at_a_time_and_a_repeat_fire_is_a_duplicate(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(plan_task()))
    first = scheduler.jobs[job_name("alice", "t1", "reminder")]
    assert len(scheduler.jobs) == 1
    assert (await fire_first(actor, scheduler))["outcome"] == "notify"
    assert list(scheduler.jobs) == [job_name("alice", "t1", "reminder2")]
    assert await value(actor.on_reminder_due(first.data)) == {"outcome": "duplicate"}
    assert len(notifier.sent) == 1


async def test_acknowledge_stops_the_chain(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(plan_task(escalation=ESCALATION)))
    for _ in range(4):  # two reminders, the due notice, the first escalation
        await fire_first(actor, scheduler)
    pending = scheduler.jobs[job_name("alice", "t1", "escalation2")].data
    task = await value(actor.acknowledge_task({"task_id": "t1"}))
    assert task["acknowledged_at"] == "2030-01-01T09:00:00Z" and task["next_fires"] == []
    assert task["status"] == "open" and scheduler.jobs == {}
    assert await value(actor.on_reminder_due(pending)) == {"outcome": "stale"}
    assert [n["step"] for n in notifier.sent][-1] == "escalation"
    again = await value(actor.acknowledge_task({"task_id": "t1"}))
    assert again["schedule_version"] == task["schedule_version"]  # idempotent


async def test_snooze_moves_the_next_fire_and_the_old_job_is_stale(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(plan_task()))
    await fire_first(actor, scheduler)  # the day-before reminder
    old = scheduler.jobs[job_name("alice", "t1", "reminder2")].data
    task = await value(actor.snooze_task({"task_id": "t1", "until": "2030-01-03T08:30:00Z"}))
    assert [(f["step"], f["at"], f["snoozed"]) for f in task["next_fires"]] == [
        ("reminder2", "2030-01-03T08:30:00Z", True),
        ("overdue", "2030-01-03T09:00:00Z", False),
    ]
    job = scheduler.jobs[job_name("alice", "t1", "reminder2")]
    assert job.due_time.isoformat() == "2030-01-03T08:30:00+00:00"
    assert await value(actor.on_reminder_due(old)) == {"outcome": "stale"}
    await run_all(actor, scheduler)
    assert [n["id"] for n in notifier.sent] == [
        "alice:t1:reminder:1",
        "alice:t1:reminder2:2",
        "alice:t1:overdue:2",
    ]
    assert notifier.sent[1]["snoozed"] is True


async def test_snooze_for_a_duration_counts_from_now(
    actor: ProjectManagementAgent, clock: ManualClock, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(plan_task(due_at="2030-01-01T10:00:00Z", reminders=["PT30M"])))
    task = await value(actor.snooze_task({"task_id": "t1", "for": "PT2H"}))
    assert task["snoozed_until"] == "2030-01-01T11:00:00Z"
    assert [f["step"] for f in task["next_fires"]] == ["reminder"]  # the due notice is silenced


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"for": "2 hours"}, "ERR_INVALID_DURATION", "for"),
        ({"until": "tomorrow"}, "ERR_INVALID_TIME", "until"),
        ({"until": "2029-01-01T00:00:00Z"}, "ERR_INVALID_FIELD", "until"),
        ({}, "ERR_INVALID_FIELD", "for"),
        ({"for": "PT1H", "until": "2030-02-01T00:00:00Z"}, "ERR_INVALID_FIELD", "for"),
        ({"for": "0s"}, "ERR_INVALID_FIELD", "for"),
    ],
)
async def test_bad_snooze_is_refused_and_changes_nothing(
    actor: ProjectManagementAgent,
    scheduler: FakeScheduler,
    body: dict[str, str],
    code: str,
    field: str,
) -> None:
    before = await value(actor.assign_task(plan_task()))
    err = await error(actor.snooze_task({"task_id": "t1", **body}))
    assert (err["errorCode"], err["details"]["field"]) == (code, field)
    assert await value(actor.get_task({"task_id": "t1"})) == before["task"]


async def test_snooze_with_nothing_pending_is_a_conflict(actor: ProjectManagementAgent) -> None:
    await value(actor.assign_task(plan_task()))
    await value(actor.acknowledge_task({"task_id": "t1"}))
    err = await error(actor.snooze_task({"task_id": "t1", "for": "PT1H"}))
    assert err["errorCode"] == "ERR_TASK_CONFLICT" and "no notification" in err["message"]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"reminders": ["P1D", "soon"]}, "ERR_INVALID_DURATION", "reminders.1"),
        ({"remind_before": "PT1H"}, "ERR_INVALID_FIELD", "reminders"),
        (
            {"escalation": {**ESCALATION, "every": "4 hours"}},
            "ERR_INVALID_DURATION",
            "escalation.every",
        ),
        ({"escalation": {**ESCALATION, "max": 0}}, "ERR_INVALID_FIELD", "escalation.max"),
        ({"escalation": {"every": "PT4H"}}, "ERR_INVALID_FIELD", "escalation.escalate_to"),
    ],
)
async def test_bad_plan_is_refused(
    actor: ProjectManagementAgent,
    scheduler: FakeScheduler,
    fields: dict[str, Any],
    code: str,
    field: str,
) -> None:
    err = await error(actor.assign_task(plan_task(**fields)))
    assert (err["errorCode"], err["details"]["field"]) == (code, field)
    assert scheduler.jobs == {}


async def test_upcoming_lists_the_next_fires_across_tasks_in_their_zones(
    actor: ProjectManagementAgent,
) -> None:
    await value(actor.assign_task(plan_task(time_zone="Europe/Berlin")))
    await value(actor.assign_task(plan_task(id="t2", due_at="2030-01-01T09:30:00Z")))
    fires = (await value(actor.upcoming({"limit": 3})))["upcoming"]
    assert [(f["task_id"], f["step"], f["moved_to_now"]) for f in fires] == [
        ("t2", "reminder", True),  # both leads had passed: moved to now
        ("t2", "overdue", False),
        ("t1", "reminder", False),
    ]
    assert fires[2]["at_local"] == "2030-01-02T10:00:00+01:00"


async def test_a_task_stored_by_the_previous_version_loads_and_carries_on(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    """``stored_task_v1.json`` is what the version before plans stored (reminder already sent,
    its reminder and overdue jobs both scheduled then)."""
    stored = json.loads((Path(__file__).parent / "stored_task_v1.json").read_text())
    await actor._state_manager.set_state("task.t1", stored)
    await actor._state_manager.set_state("task_ids", ["t1"])
    task = await value(actor.get_task({"task_id": "t1"}))
    assert (task["remind_before"], task["reminders"]) == ("PT30M", ["PT30M"])
    assert [f["step"] for f in task["next_fires"]] == ["overdue"]
    overdue = {"actorType": "ProjectManagementAgent", "actorId": "alice", "taskId": "t1"}
    old_fire = {**overdue, "kind": "overdue", "scheduleVersion": 1}  # a v1 record: no step
    assert (await value(actor.on_reminder_due(old_fire)))["notification_id"] == (
        "alice:t1:overdue:1"
    )
    assert [n["id"] for n in notifier.sent] == ["alice:t1:overdue:1"]
    assert scheduler.calls == []  # the overdue job was the last one; the reminder's was used


async def test_closing_a_migrated_task_deletes_both_of_its_jobs(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    stored = json.loads((Path(__file__).parent / "stored_task_v1.json").read_text())
    stored["notified"] = []
    await actor._state_manager.set_state("task.t1", stored)
    await actor._state_manager.set_state("task_ids", ["t1"])  # as every version stored it
    await value(actor.cancel_task({"task_id": "t1"}))
    names = [job_name("alice", "t1", kind) for kind in ("reminder", "overdue")]
    assert scheduler.calls == [("delete", name) for name in names]
