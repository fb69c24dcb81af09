from __future__ import annotations

from typing import Any

import pytest

from actors import ProjectManagementAgent, job_name

from .fakes import FakeNotifier, FakeScheduler, ManualClock

DUE = "2030-01-01T12:00:00+02:00"  # 10:00 UTC, one hour after the clock's start


def assign(**fields: Any) -> dict[str, Any]:
    return {"id": "t1", "title": "Write report", "assignee": "bob", "due_at": DUE, **fields}


async def value(call: Any) -> Any:
    answer = await call
    assert answer["ok"], answer
    return answer["value"]


async def error(call: Any) -> dict[str, Any]:
    answer = await call
    assert not answer["ok"], answer
    return answer["error"]  # type: ignore[no-any-return]


async def test_assign_stores_task_and_creates_the_job_of_its_first_step(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    result = await value(actor.assign_task(assign()))
    task = result["task"]
    assert result["created"] is True
    assert task["due_at"] == "2030-01-01T10:00:00Z"
    assert task["remind_at"] == "2030-01-01T09:45:00Z"
    assert task["remind_before"] == "PT15M"
    assert [f["step"] for f in task["next_fires"]] == ["reminder", "overdue"]
    assert list(scheduler.jobs) == [job_name("alice", "t1", "reminder")]  # one job per task
    reminder = scheduler.jobs[job_name("alice", "t1", "reminder")]
    assert reminder.due_time.isoformat() == "2030-01-01T09:45:00+00:00"
    assert reminder.data == {
        "actorType": "ProjectManagementAgent",
        "actorId": "alice",
        "taskId": "t1",
        "kind": "reminder",
        "scheduleVersion": 1,
        "step": "reminder",
    }


async def test_assign_without_id_generates_one(actor: ProjectManagementAgent) -> None:
    result = await value(actor.assign_task(assign(id=None)))
    assert result["task"]["id"] == "gen0"


async def test_per_task_lead_time_in_go_form(actor: ProjectManagementAgent) -> None:
    task = (await value(actor.assign_task(assign(remind_before="30m"))))["task"]
    assert task["remind_at"] == "2030-01-01T09:30:00Z"
    assert task["remind_before"] == "PT30M"


async def test_reminder_moment_already_past_fires_at_once(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    task = (await value(actor.assign_task(assign(remind_before="PT2H"))))["task"]
    assert task["remind_at"] == "2030-01-01T09:00:00Z"  # now
    assert scheduler.jobs[job_name("alice", "t1", "reminder")].due_time.hour == 9


async def test_repeated_create_with_same_id_is_idempotent(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(assign()))
    again = await value(actor.assign_task(assign()))
    assert again["created"] is False
    assert len(scheduler.calls) == 1
    err = await error(actor.assign_task(assign(title="Other")))
    assert err["errorCode"] == "ERR_TASK_ID_CONFLICT"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"due_at": "2029-12-31T00:00:00Z"}, "ERR_DUE_DATE_IN_PAST", "due_at"),
        ({"due_at": "2030-01-01T12:00:00"}, "ERR_INVALID_TIME", "due_at"),
        ({"due_at": "tomorrow"}, "ERR_INVALID_TIME", "due_at"),
        ({"remind_before": "15 minutes"}, "ERR_INVALID_DURATION", "remind_before"),
        ({"id": "bad id"}, "ERR_INVALID_ID", "id"),
        ({"time_zone": "Mars/Olympus"}, "ERR_INVALID_TIME", "time_zone"),
        ({"title": ""}, "ERR_INVALID_FIELD", "title"),
        ({"colour": "red"}, "ERR_INVALID_FIELD", "colour"),
    ],
)
async def test_assign_rejects_bad_input(
    actor: ProjectManagementAgent,
    scheduler: FakeScheduler,
    fields: dict[str, Any],
    code: str,
    field: str,
) -> None:
    err = await error(actor.assign_task(assign(**fields)))
    assert (err["errorCode"], err["details"]["field"]) == (code, field)
    assert scheduler.jobs == {}


async def test_scheduler_failure_leaves_no_task(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    scheduler.fail = True
    with pytest.raises(RuntimeError):
        await actor.assign_task(assign())
    scheduler.fail = False
    assert (await error(actor.get_task({"task_id": "t1"})))["errorCode"] == "ERR_TASK_NOT_FOUND"


async def test_reschedule_overwrites_jobs_and_bumps_version(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(assign()))
    task = await value(actor.update_task({"task_id": "t1", "due_at": "2030-01-02T10:00:00Z"}))
    assert task["schedule_version"] == 2
    job = scheduler.jobs[job_name("alice", "t1", "reminder")]
    assert job.data["scheduleVersion"] == 2
    assert job.due_time.day == 2
    assert len(scheduler.jobs) == 1


async def test_retitle_keeps_schedule(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(assign()))
    task = await value(actor.update_task({"task_id": "t1", "title": "New title"}))
    assert (task["title"], task["schedule_version"]) == ("New title", 1)
    assert len(scheduler.calls) == 1


async def test_reassign_and_lead_time_change_reschedule(actor: ProjectManagementAgent) -> None:
    await value(actor.assign_task(assign()))
    task = await value(actor.update_task({"task_id": "t1", "assignee": "carol"}))
    assert task["schedule_version"] == 2
    task = await value(actor.update_task({"task_id": "t1", "remind_before": "PT5M"}))
    assert (task["schedule_version"], task["remind_at"]) == (3, "2030-01-01T09:55:00Z")


async def test_complete_deletes_jobs_and_closes(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(assign()))
    task = await value(actor.complete_task({"task_id": "t1"}))
    assert (task["status"], task["schedule_version"]) == ("completed", 2)
    assert scheduler.jobs == {}
    again = await value(actor.complete_task({"task_id": "t1"}))
    assert again["schedule_version"] == 2
    err = await error(actor.cancel_task({"task_id": "t1"}))
    assert err["errorCode"] == "ERR_TASK_CONFLICT"
    err = await error(actor.update_task({"task_id": "t1", "title": "x"}))
    assert err["errorCode"] == "ERR_TASK_CONFLICT"


async def test_cancel_deletes_jobs(actor: ProjectManagementAgent, scheduler: FakeScheduler) -> None:
    await value(actor.assign_task(assign()))
    assert (await value(actor.cancel_task({"task_id": "t1"})))["status"] == "cancelled"
    assert scheduler.jobs == {}


async def test_list_filters_by_status_and_assignee(actor: ProjectManagementAgent) -> None:
    await value(actor.assign_task(assign()))
    await value(actor.assign_task(assign(id="t2", assignee="carol")))
    await value(actor.assign_task(assign(id="t3")))
    await value(actor.complete_task({"task_id": "t3"}))

    async def ids(**query: str) -> list[str]:
        return [t["id"] for t in (await value(actor.list_tasks(query)))["tasks"]]

    assert await ids() == ["t1", "t2", "t3"]
    assert await ids(status="open") == ["t1", "t2"]
    assert await ids(assignee="bob") == ["t1", "t3"]
    assert await ids(status="open", assignee="bob") == ["t1"]
    assert (await error(actor.list_tasks({"status": "late"})))["details"]["field"] == "status"


async def fire(actor: ProjectManagementAgent, scheduler: FakeScheduler, kind: str) -> Any:
    job = scheduler.jobs[job_name("alice", "t1", kind)]
    return await value(actor.on_reminder_due(job.data))


async def test_fire_notifies_once(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(assign()))
    first = await fire(actor, scheduler, "reminder")
    second = await fire(actor, scheduler, "reminder")
    assert first == {"outcome": "notify", "notification_id": "alice:t1:reminder:1"}
    assert second == {"outcome": "duplicate"}
    assert [n["id"] for n in notifier.sent] == ["alice:t1:reminder:1"]
    assert notifier.sent[0]["assignee"] == "bob"
    listed = await value(actor.list_notifications({}))
    assert [n["id"] for n in listed["notifications"]] == ["alice:t1:reminder:1"]


async def test_overdue_fire_is_its_own_notification(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(assign()))
    await fire(actor, scheduler, "reminder")
    await fire(actor, scheduler, "overdue")
    assert [n["kind"] for n in notifier.sent] == ["reminder", "overdue"]
    assert "overdue" in notifier.sent[1]["message"]


async def test_stale_fire_after_reschedule_is_dropped(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(assign()))
    old = scheduler.jobs[job_name("alice", "t1", "reminder")].data
    await value(actor.update_task({"task_id": "t1", "due_at": "2030-01-02T10:00:00Z"}))
    assert await value(actor.on_reminder_due(old)) == {"outcome": "stale"}
    assert notifier.sent == []


async def test_fire_for_closed_or_missing_task_is_dropped(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(assign()))
    data = scheduler.jobs[job_name("alice", "t1", "reminder")].data
    await value(actor.complete_task({"task_id": "t1"}))
    assert await value(actor.on_reminder_due(data)) == {"outcome": "closed"}
    gone = {**data, "taskId": "nope"}
    assert await value(actor.on_reminder_due(gone)) == {"outcome": "gone"}
    assert notifier.sent == []


async def test_notifier_failure_raises_so_the_job_retries(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    await value(actor.assign_task(assign()))
    notifier.fail = True
    with pytest.raises(RuntimeError):
        await fire(actor, scheduler, "reminder")
    notifier.fail = False
    assert (await fire(actor, scheduler, "reminder"))["outcome"] == "notify"
    assert len(notifier.sent) == 1


async def test_malformed_fire_record_is_an_error_answer(actor: ProjectManagementAgent) -> None:
    err = await error(actor.on_reminder_due({"taskId": "t1"}))
    assert err["errorCode"] == "ERR_INVALID_FIELD"


async def test_state_layout(actor: ProjectManagementAgent, clock: ManualClock) -> None:
    await value(actor.assign_task(assign()))
    stored = actor._state_manager._mock_state  # type: ignore[attr-defined]
    assert stored["task_ids"] == ["t1"]
    assert stored["task.t1"]["due_at"] == "2030-01-01T10:00:00Z"
