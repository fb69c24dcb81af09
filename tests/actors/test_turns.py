"""Turns of one actor never overlap in its host, even when the sidecar stopped waiting for one
(its caller hung up after a timeout, and the sidecar let the next call in)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from dapr.actor.runtime.mock_actor import create_mock_actor

from actors import ActorServices, ProjectManagementAgent, job_name
from actors._errors import TurnBusyError

from .fakes import FakeScheduler, ManualClock
from .test_actor import value

TASK = {"id": "t1", "title": "Ship", "assignee": "bob", "due_at": "2030-01-01T10:00:00Z"}


class SlowNotifier:
    """Holds every send until released, so a fire's turn stays open."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[dict[str, Any]] = []

    async def send(self, notification: dict[str, Any]) -> None:
        self.entered.set()
        await self.release.wait()
        self.sent.append(notification)


async def test_a_second_call_waits_for_the_turn_in_progress(
    scheduler: FakeScheduler, clock: ManualClock
) -> None:
    notifier = SlowNotifier()
    services = ActorServices(scheduler=scheduler, notifier=notifier, clock=clock)
    first = create_mock_actor(ProjectManagementAgent, "alice")
    first.bind(services)
    await value(first.assign_task(TASK))
    data = scheduler.jobs[job_name("alice", "t1", "reminder")].data
    # A second instance of the same actor shares its state (as after a deactivation).
    second = create_mock_actor(ProjectManagementAgent, "alice")
    second.bind(services)
    second._state_manager = first._state_manager

    fire = asyncio.create_task(first.on_reminder_due(data))
    await asyncio.wait_for(notifier.entered.wait(), 5)
    snooze = asyncio.create_task(second.snooze_task({"task_id": "t1", "for": "PT10M"}))
    for _ in range(100):  # every port is an in-memory fake: these turns would finish it
        await asyncio.sleep(0)
    assert not snooze.done(), "the snooze ran while the fire's turn was open"
    notifier.release.set()
    assert (await asyncio.wait_for(fire, 5))["value"]["outcome"] == "notify"
    snoozed = (await asyncio.wait_for(snooze, 5))["value"]
    assert [f["step"] for f in snoozed["next_fires"]] == ["overdue"]  # it saw the fire's result


async def test_a_call_that_cannot_get_the_turn_in_time_fails_instead_of_running_late(
    scheduler: FakeScheduler, clock: ManualClock
) -> None:
    notifier = SlowNotifier()
    services = ActorServices(
        scheduler=scheduler, notifier=notifier, clock=clock, turn_wait=timedelta(0)
    )
    actor = create_mock_actor(ProjectManagementAgent, "alice")
    actor.bind(services)
    await value(actor.assign_task(TASK))
    data = scheduler.jobs[job_name("alice", "t1", "reminder")].data
    fire = asyncio.create_task(actor.on_reminder_due(data))
    await asyncio.wait_for(notifier.entered.wait(), 5)
    with pytest.raises(TurnBusyError, match="turn stayed taken"):
        await actor.get_task({"task_id": "t1"})
    notifier.release.set()
    assert (await asyncio.wait_for(fire, 5))["ok"]
    assert (await actor.get_task({"task_id": "t1"}))["ok"]  # free again
