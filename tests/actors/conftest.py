from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from dapr.actor.runtime.mock_actor import create_mock_actor

from actors import ActorServices, ProjectManagementAgent

from .fakes import FakeNotifier, FakeScheduler, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def scheduler() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def services(scheduler: FakeScheduler, notifier: FakeNotifier, clock: ManualClock) -> ActorServices:
    ids = iter(f"gen{n}" for n in range(1000))
    return ActorServices(
        scheduler=scheduler,
        notifier=notifier,
        clock=clock,
        default_remind_before=timedelta(minutes=15),
        new_task_id=lambda: next(ids),
    )


@pytest.fixture
def actor(services: ActorServices) -> Iterator[ProjectManagementAgent]:
    mock = create_mock_actor(ProjectManagementAgent, "alice")
    mock.bind(services)
    yield mock
