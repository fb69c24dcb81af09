"""In-memory stand-ins for the actor's ports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actors import JobRequest

START = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


class ManualClock:
    def __init__(self, start: datetime = START) -> None:
        self._now = start.timestamp()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


class FakeScheduler:
    def __init__(self) -> None:
        self.jobs: dict[str, JobRequest] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail = False

    async def schedule(self, job: JobRequest) -> None:
        if self.fail:
            raise RuntimeError("scheduler down")
        self.calls.append(("schedule", job.name))
        self.jobs[job.name] = job

    async def delete(self, name: str) -> None:
        self.calls.append(("delete", name))
        self.jobs.pop(name, None)

    async def exists(self, name: str) -> bool:
        return name in self.jobs


class FakeDirectory:
    def __init__(self) -> None:
        self.agents: list[str] = []

    async def add(self, agent_id: str) -> None:
        if agent_id not in self.agents:
            self.agents.append(agent_id)


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = False

    async def send(self, notification: dict[str, Any]) -> None:
        if self.fail:
            raise RuntimeError("notifier down")
        self.sent.append(notification)


async def fire_first(actor: Any, scheduler: FakeScheduler) -> dict[str, Any]:
    """Fire the earliest job, as the sidecar would: a one-shot job is removed once its fire is
    answered, unless it was overwritten meanwhile."""
    name, job = min(scheduler.jobs.items(), key=lambda item: item[1].due_time)
    answer = await actor.on_reminder_due(job.data)
    if scheduler.jobs.get(name) is job:
        del scheduler.jobs[name]
    assert answer["ok"], answer
    value: dict[str, Any] = answer["value"]
    return value
