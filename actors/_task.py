"""The task as stored in actor state, its versions, and the migration of older stored forms.

``state_version`` 2 (plans): a stored task from version 1 (one ``remind_before``, a reminder
and an overdue job both scheduled at assign) loads as a version-2 task with the same keys, job
names and notification ids: its pending steps are the reminder and the overdue notice it had
not sent yet, whose jobs (both were scheduled at assign) are listed in ``scheduled``, so the next
change deletes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from ._contracts import JobKind, TaskStatus
from ._ids import job_name, notification_id
from ._plan import Escalation, Moved, Step, ordered
from ._times import parse_duration, parse_instant

STATE_VERSION = 2


class MissedFire(BaseModel):
    """A step whose job the scheduler no longer held when its time had passed (its failure
    policy ran out): noticed by a reconcile, recorded, and fired again."""

    model_config = ConfigDict(frozen=True)

    step: str
    due: datetime
    noticed_at: datetime


class Task(BaseModel):
    """A task as stored in actor state (times aware UTC, durations as timedelta)."""

    model_config = ConfigDict(frozen=True)

    state_version: int = STATE_VERSION
    id: str
    agent_id: str
    title: str
    description: str = ""
    assignee: str
    due_at: datetime
    time_zone: str = "UTC"
    reminders: tuple[timedelta, ...] = ()
    escalation: Escalation | None = None
    recurrence: str | None = None
    series_id: str | None = None
    series_start: datetime | None = None
    occurrence: int = 1
    next_instance: str | None = None
    plan: tuple[Step, ...] = ()
    scheduled: tuple[str, ...] = ()
    status: TaskStatus = TaskStatus.OPEN
    schedule_version: int = 1
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    notified: tuple[str, ...] = ()
    missed: tuple[MissedFire, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.OPEN

    def job_of(self, step: Step) -> str:
        return job_name(self.agent_id, self.id, step.key)

    def notification_of(self, step: Step) -> str:
        return notification_id(self.agent_id, self.id, step.key, self.schedule_version)


def load_task(raw: dict[str, Any]) -> Task:
    """A stored task of any state version, as the current :class:`Task`."""
    if raw.get("state_version", 1) == 1:
        return _from_v1(raw)
    return Task.model_validate(raw)


def dump_task(task: Task) -> dict[str, Any]:
    return task.model_dump(mode="json")


def _from_v1(raw: dict[str, Any]) -> Task:
    fields = {k: v for k, v in raw.items() if k not in ("remind_before", "remind_at")}
    lead = parse_duration("remind_before", raw["remind_before"])
    draft = Task.model_validate({**fields, "reminders": [lead], "state_version": STATE_VERSION})
    if not draft.is_open:
        return draft
    plan = _v1_plan(draft, parse_instant("remind_at", raw["remind_at"]), lead)
    pending = tuple(s for s in plan if draft.notification_of(s) not in draft.notified)
    scheduled = tuple(draft.job_of(s) for s in pending)  # a sent step's job is gone
    return draft.model_copy(update={"plan": pending, "scheduled": scheduled})


def _v1_plan(task: Task, remind_at: datetime, lead: timedelta) -> tuple[Step, ...]:
    nominal = task.due_at - lead
    reminder = Step(
        key="reminder",
        kind=JobKind.REMINDER,
        at=remind_at,
        nominal=nominal,
        recipients=(task.assignee,),
        moved=Moved.NOW if remind_at > nominal else None,
    )
    overdue = Step(
        key="overdue",
        kind=JobKind.OVERDUE,
        at=task.due_at,
        nominal=task.due_at,
        recipients=(task.assignee,),
    )
    return ordered([reminder, overdue])
