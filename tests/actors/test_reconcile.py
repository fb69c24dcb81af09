"""A reminder job whose failure policy ran out is noticed by a reconcile, recorded and fired
again; nothing is lost silently."""

from __future__ import annotations

import pytest
from dapr.actor.runtime.mock_actor import create_mock_actor

from actors import ActorServices, ProjectManagementAgent, job_name

from .fakes import FakeDirectory, FakeNotifier, FakeScheduler, ManualClock, fire_first
from .test_actor import value

TASK = {"id": "t1", "title": "Ship", "assignee": "bob", "due_at": "2030-01-01T10:00:00Z"}


async def exhaust_first_job(actor: ProjectManagementAgent, scheduler: FakeScheduler) -> None:
    """The fire keeps failing (the notifier is down) until the scheduler gives the job up."""
    name = min(scheduler.jobs, key=lambda n: scheduler.jobs[n].due_time)
    with pytest.raises(RuntimeError):
        await actor.on_reminder_due(scheduler.jobs[name].data)
    del scheduler.jobs[name]  # what Dapr does when the failure policy's retries are used up


async def test_an_exhausted_job_is_recorded_and_fired_again(
    actor: ProjectManagementAgent,
    scheduler: FakeScheduler,
    notifier: FakeNotifier,
    clock: ManualClock,
) -> None:
    await value(actor.assign_task(TASK))
    clock.advance(20 * 60)  # 09:20, the reminder (09:45) has not passed yet
    assert await value(actor.reconcile({})) == {"missed": []}
    clock.advance(30 * 60)  # 09:50
    notifier.fail = True
    await exhaust_first_job(actor, scheduler)
    assert scheduler.jobs == {}
    notifier.fail = False

    result = await value(actor.reconcile({}))
    assert result == {"missed": [{"task_id": "t1", "step": "reminder"}]}
    task = await value(actor.get_task({"task_id": "t1"}))
    assert task["missed_fires"] == [
        {"step": "reminder", "due": "2030-01-01T09:45:00Z", "noticed_at": "2030-01-01T09:50:00Z"}
    ]
    job = scheduler.jobs[job_name("alice", "t1", "reminder")]
    assert job.due_time.isoformat() == "2030-01-01T09:50:00+00:00"  # again, now
    assert (await fire_first(actor, scheduler))["notification_id"] == "alice:t1:reminder:2"
    assert await value(actor.reconcile({})) == {"missed": []}
    assert [n["step"] for n in notifier.sent] == ["reminder"]


async def test_a_job_that_is_still_there_is_left_alone(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, clock: ManualClock
) -> None:
    await value(actor.assign_task(TASK))
    clock.advance(3600)  # far past the reminder, but its job is still held (retrying)
    assert await value(actor.reconcile({})) == {"missed": []}
    assert (await value(actor.get_task({"task_id": "t1"})))["schedule_version"] == 1


async def test_assign_lists_the_agent_once(
    scheduler: FakeScheduler, notifier: FakeNotifier, clock: ManualClock
) -> None:
    directory = FakeDirectory()
    services = ActorServices(
        scheduler=scheduler, notifier=notifier, clock=clock, directory=directory
    )
    actor = create_mock_actor(ProjectManagementAgent, "alice")
    actor.bind(services)
    await value(actor.assign_task(TASK))
    await value(actor.assign_task({**TASK, "id": "t2"}))
    assert directory.agents == ["alice"]
