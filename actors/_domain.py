"""The task and its rules: pure functions of (task, request, now). No I/O, no clock.

Timing rules: the reminder fires at ``due_at - remind_before``, or at once (``now``) when that
moment has passed; the overdue job fires at ``due_at``. Every change that affects timing or the
recipient bumps ``schedule_version``; fires carrying an older version are stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from ._contracts import ACTOR_TYPE, AssignTask, JobKind, JobRecord, TaskStatus, UpdateTask
from ._errors import DueDateInPastError, TaskConflictError, TaskIdConflictError
from ._ids import job_name, notification_id, validate_id
from ._times import format_duration, format_instant, parse_duration, parse_instant, validate_zone


class Task(BaseModel):
    """A task as stored in actor state (times aware UTC, durations as timedelta)."""

    model_config = ConfigDict(frozen=True)

    id: str
    agent_id: str
    title: str
    description: str = ""
    assignee: str
    due_at: datetime
    time_zone: str = "UTC"
    remind_before: timedelta
    remind_at: datetime
    status: TaskStatus = TaskStatus.OPEN
    schedule_version: int = 1
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    notified: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.OPEN


class FireOutcome(StrEnum):
    NOTIFY = "notify"
    GONE = "gone"
    CLOSED = "closed"
    STALE = "stale"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class PlannedJob:
    name: str
    kind: JobKind
    due_time: datetime
    record: JobRecord


def reminder_time(due_at: datetime, remind_before: timedelta, now: datetime) -> datetime:
    return max(due_at - remind_before, now)


def new_task(
    agent_id: str, task_id: str, req: AssignTask, now: datetime, default_before: timedelta
) -> Task:
    due_at = _future_due(req.due_at, now)
    before = (
        parse_duration("remind_before", req.remind_before) if req.remind_before else default_before
    )
    return Task(
        id=validate_id("task_id", task_id),
        agent_id=validate_id("agent_id", agent_id),
        title=req.title,
        description=req.description,
        assignee=req.assignee,
        due_at=due_at,
        time_zone=validate_zone("time_zone", req.time_zone),
        remind_before=before,
        remind_at=reminder_time(due_at, before, now),
        created_at=now,
        updated_at=now,
    )


def ensure_same_assignment(existing: Task, proposed: Task) -> None:
    """An idempotent repeat of a create must carry the same content."""
    fields = ("title", "description", "assignee", "due_at", "remind_before", "time_zone")
    if any(getattr(existing, f) != getattr(proposed, f) for f in fields):
        raise TaskIdConflictError(existing.id)


def apply_update(task: Task, req: UpdateTask, now: datetime) -> Task:
    _require_open(task, "update")
    changes: dict[str, Any] = req.model_dump(exclude_none=True, exclude={"task_id"})
    if req.due_at is not None:
        changes["due_at"] = _future_due(req.due_at, now)
    if req.remind_before is not None:
        changes["remind_before"] = parse_duration("remind_before", req.remind_before)
    if req.time_zone is not None:
        validate_zone("time_zone", req.time_zone)
    updated = task.model_copy(update={**changes, "updated_at": now})
    return _reschedule(updated, now) if _timing_changed(task, updated) else updated


def complete(task: Task, now: datetime) -> Task:
    return _close(task, TaskStatus.COMPLETED, "complete", now)


def cancel(task: Task, now: datetime) -> Task:
    return _close(task, TaskStatus.CANCELLED, "cancel", now)


def planned_jobs(task: Task) -> list[PlannedJob]:
    """The jobs an open task must have; a closed task has none."""
    if not task.is_open:
        return []
    times = {JobKind.REMINDER: task.remind_at, JobKind.OVERDUE: task.due_at}
    return [_planned(task, kind, at) for kind, at in times.items()]


def job_names(task: Task) -> list[str]:
    return [job_name(task.agent_id, task.id, kind) for kind in JobKind]


def judge_fire(task: Task | None, record: JobRecord) -> FireOutcome:
    if task is None:
        return FireOutcome.GONE
    if not task.is_open:
        return FireOutcome.CLOSED
    if record.schedule_version != task.schedule_version:
        return FireOutcome.STALE
    nid = notification_id(task.agent_id, task.id, record.kind, record.schedule_version)
    return FireOutcome.DUPLICATE if nid in task.notified else FireOutcome.NOTIFY


def build_notification(task: Task, kind: JobKind, now: datetime) -> dict[str, Any]:
    nid = notification_id(task.agent_id, task.id, kind, task.schedule_version)
    return {
        "id": nid,
        "agent_id": task.agent_id,
        "task_id": task.id,
        "kind": kind.value,
        "schedule_version": task.schedule_version,
        "assignee": task.assignee,
        "title": task.title,
        "due_at": format_instant(task.due_at),
        "due_at_local": format_instant(task.due_at, task.time_zone),
        "fire_at": format_instant(task.remind_at if kind is JobKind.REMINDER else task.due_at),
        "message": _message(task, kind),
        "created_at": format_instant(now),
    }


def mark_notified(task: Task, nid: str) -> Task:
    return task.model_copy(update={"notified": (*task.notified, nid)})


def task_view(task: Task) -> dict[str, Any]:
    """The public JSON form of a task (shared by the actor wire and the REST API)."""
    return {
        "id": task.id,
        "agent_id": task.agent_id,
        "title": task.title,
        "description": task.description,
        "assignee": task.assignee,
        "status": task.status.value,
        "due_at": format_instant(task.due_at),
        "due_at_local": format_instant(task.due_at, task.time_zone),
        "time_zone": task.time_zone,
        "remind_before": format_duration(task.remind_before),
        "remind_at": format_instant(task.remind_at),
        "schedule_version": task.schedule_version,
        "created_at": format_instant(task.created_at),
        "updated_at": format_instant(task.updated_at),
        "closed_at": format_instant(task.closed_at) if task.closed_at else None,
        "notifications_sent": list(task.notified),
    }


def _future_due(value: str, now: datetime) -> datetime:
    due_at = parse_instant("due_at", value)
    if due_at <= now:
        raise DueDateInPastError(value, format_instant(now))
    return due_at


def _timing_changed(before: Task, after: Task) -> bool:
    keys = ("due_at", "remind_before", "assignee")
    return any(getattr(before, k) != getattr(after, k) for k in keys)


def _reschedule(task: Task, now: datetime) -> Task:
    return task.model_copy(
        update={
            "schedule_version": task.schedule_version + 1,
            "remind_at": reminder_time(task.due_at, task.remind_before, now),
        }
    )


def _close(task: Task, status: TaskStatus, action: str, now: datetime) -> Task:
    if task.status is status:
        return task
    _require_open(task, action)
    return task.model_copy(
        update={
            "status": status,
            "closed_at": now,
            "updated_at": now,
            "schedule_version": task.schedule_version + 1,
        }
    )


def _require_open(task: Task, action: str) -> None:
    if not task.is_open:
        raise TaskConflictError(task.id, task.status.value, action)


def _planned(task: Task, kind: JobKind, at: datetime) -> PlannedJob:
    record = JobRecord.model_validate(
        {
            "actorType": ACTOR_TYPE,
            "actorId": task.agent_id,
            "taskId": task.id,
            "kind": kind,
            "scheduleVersion": task.schedule_version,
        }
    )
    return PlannedJob(job_name(task.agent_id, task.id, kind), kind, at, record)


def _message(task: Task, kind: JobKind) -> str:
    due = format_instant(task.due_at, task.time_zone)
    if kind is JobKind.OVERDUE:
        return f"Task '{task.title}' assigned to {task.assignee} is overdue (was due {due})."
    return f"Reminder: task '{task.title}' assigned to {task.assignee} is due at {due}."
