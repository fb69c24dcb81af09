"""What the actor needs from the outside world; the agent app supplies HTTP implementations."""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Current time, seconds since the epoch (the sidecar's clocks fit this too)."""


class SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A one-shot job: fire once at ``due_time`` (at once if already past) with ``data``."""

    name: str
    due_time: datetime
    data: dict[str, Any]


class JobScheduler(Protocol):
    async def schedule(self, job: JobRequest) -> None:
        """Create the job, or overwrite an existing one of that name; raise if not stored."""

    async def delete(self, name: str) -> None:
        """Afterwards no job of that name exists (deleting a missing job succeeds)."""

    async def exists(self, name: str) -> bool:
        """Whether the scheduler still holds the job (a one-shot job is gone once its fire was
        answered, or once its failure policy ran out)."""


class Directory(Protocol):
    async def add(self, agent_id: str) -> None:
        """Afterwards ``agent_id`` is among the listed agents (adding it twice is harmless)."""


class NoDirectory:
    async def add(self, agent_id: str) -> None:
        return None


class Notifier(Protocol):
    async def send(self, notification: dict[str, Any]) -> None:
        """Hand the notification over; raise unless the notifier accepted it (new or repeat)."""


class TurnLocks:
    """One lock per actor id in this host: turns never overlap here, even when the sidecar has
    stopped waiting for one (its caller hung up) and lets the next call in. A call that cannot
    get the turn within the actor's ``turn_wait`` fails instead of running late: by then its
    caller has given up too, and running it anyway would queue work for callers that are gone."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def of(self, actor_id: str) -> asyncio.Lock:
        lock = self._locks.get(actor_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[actor_id] = lock
        return lock


def random_task_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class ActorServices:
    """Everything a ProjectManagementAgent instance talks to, injected by the host app."""

    scheduler: JobScheduler
    notifier: Notifier
    clock: Clock = field(default_factory=SystemClock)
    default_remind_before: timedelta = timedelta(minutes=15)
    new_task_id: Callable[[], str] = random_task_id
    notification_log_size: int = 200
    directory: Directory = field(default_factory=NoDirectory)
    turns: TurnLocks = field(default_factory=TurnLocks)
    turn_wait: timedelta = timedelta(seconds=15)
    missed_grace: timedelta = timedelta(seconds=30)  # a past fire's job may be gone this late
