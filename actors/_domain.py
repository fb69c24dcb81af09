"""The task's rules: pure functions of (task, request, now). No I/O, no clock.

Every change to a task's plan (reschedule, snooze, acknowledge, close) bumps
``schedule_version``; fires carrying an older version, or for a step that is not the plan's
first, are dropped. A change of due time, lead times, assignee or escalation plans afresh (the
reminders are sent again for the new due time); a snooze or an acknowledgement changes only the
pending steps. See :mod:`actors._plan` for the timing rules and :mod:`actors._recurrence` for
recurring tasks, whose next instance is created when the previous one's due time passes, or when
it is completed if that comes first (a cancelled instance ends its series). An instance may be
created with a due time that has passed (its predecessor's fire came late): its notifications
then fire at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from . import _plan as plans
from ._contracts import (
    ACTOR_TYPE,
    AssignTask,
    JobKind,
    JobRecord,
    SnoozeTask,
    TaskStatus,
    UpdateTask,
)
from ._errors import InvalidFieldError, NothingPendingError, TaskConflictError, TaskIdConflictError
from ._ids import notification_id, validate_id
from ._inputs import escalation_of, future_due, leads_of, snooze_until
from ._plan import Step
from ._recurrence import next_due, validate_rule
from ._task import MissedFire, Task
from ._times import validate_zone

CATCH_UP = timedelta(hours=24)  # how far back missed occurrences of a recurring task are made
MAX_SERIES_ID = 54  # instance ids append ".N" and must stay within 64 characters
_PLANNING = ("due_at", "reminders", "assignee", "escalation")


class FireOutcome(StrEnum):
    NOTIFY = "notify"
    RECUR = "recur"
    GONE = "gone"
    CLOSED = "closed"
    STALE = "stale"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class PlannedJob:
    name: str
    step: Step
    record: JobRecord


def new_task(
    agent_id: str, task_id: str, req: AssignTask, now: datetime, default_before: timedelta
) -> Task:
    validate_id("task_id", task_id)
    due_at = future_due(req.due_at, now)
    zone = validate_zone("time_zone", req.time_zone)
    rule = _rule(task_id, req.recurrence, due_at, zone)
    task = Task(
        id=task_id,
        agent_id=validate_id("agent_id", agent_id),
        title=req.title,
        description=req.description,
        assignee=req.assignee,
        due_at=due_at,
        time_zone=zone,
        reminders=leads_of(req.reminders, req.remind_before, default_before),
        escalation=escalation_of(req.escalation),
        recurrence=rule,
        series_id=task_id if rule else None,
        series_start=due_at if rule else None,
        created_at=now,
        updated_at=now,
    )
    return _replanned(task, now, bump=False)


def ensure_same_assignment(existing: Task, proposed: Task) -> None:
    """An idempotent repeat of a create must carry the same content."""
    fields = ("title", "description", "assignee", "due_at", "time_zone", *_PLANNING[1:])
    if any(getattr(existing, f) != getattr(proposed, f) for f in (*fields, "recurrence")):
        raise TaskIdConflictError(existing.id)


def apply_update(task: Task, req: UpdateTask, now: datetime) -> Task:
    _require_open(task, "update")
    plain = req.model_dump(include={"title", "description", "assignee", "time_zone"})
    changes: dict[str, Any] = {k: v for k, v in plain.items() if v is not None}
    if req.time_zone is not None:
        validate_zone("time_zone", req.time_zone)
    if req.due_at is not None:
        changes["due_at"] = future_due(req.due_at, now)
    if req.reminders is not None or req.remind_before is not None:
        changes["reminders"] = leads_of(req.reminders, req.remind_before, timedelta(0))
    if req.escalation is not None:
        changes["escalation"] = escalation_of(req.escalation)
    updated = task.model_copy(update={**changes, "updated_at": now})
    if req.recurrence is not None:
        updated = _with_rule(updated, req.recurrence)
    if any(getattr(task, k) != getattr(updated, k) for k in _PLANNING):
        return _replanned(updated, now, bump=True)
    if updated.recurrence != task.recurrence:
        return _with_plan(updated, _recur_step(updated, [s for s in task.plan if s.notifies]))
    return updated


def snooze(task: Task, req: SnoozeTask, now: datetime) -> Task:
    _require_open(task, "snooze")
    until = snooze_until(req, now)
    plan = plans.snooze(task.plan, until)
    if plan is None:
        raise NothingPendingError(task.id, "snooze")
    return _with_plan(task.model_copy(update={"snoozed_until": until, "updated_at": now}), plan)


def acknowledge(task: Task, now: datetime) -> Task:
    _require_open(task, "acknowledge")
    if task.acknowledged_at is not None:
        return task
    acked = task.model_copy(update={"acknowledged_at": now, "updated_at": now})
    return _with_plan(acked, plans.acknowledge(task.plan))


def complete(task: Task, now: datetime) -> Task:
    return _close(task, TaskStatus.COMPLETED, "complete", now)


def cancel(task: Task, now: datetime) -> Task:
    return _close(task, TaskStatus.CANCELLED, "cancel", now)


def successor(task: Task, now: datetime) -> Task | None:
    """The next instance of a recurring task: due at the rule's first occurrence after this
    instance's due time, even if that has passed (it is then overdue at once); occurrences more
    than :data:`CATCH_UP` in the past are skipped, so a long outage does not flood."""
    if task.recurrence is None or task.series_start is None or task.next_instance is not None:
        return None
    after = max(task.due_at, now - CATCH_UP)
    due = next_due(task.recurrence, task.series_start, task.time_zone, after)
    if due is None:
        return None
    number = task.occurrence + 1
    instance = task.model_copy(
        update={
            "id": f"{task.series_id}.{number}",
            "due_at": due,
            "occurrence": number,
            "status": TaskStatus.OPEN,
            "schedule_version": 1,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "acknowledged_at": None,
            "snoozed_until": None,
            "notified": (),
            "scheduled": (),
        }
    )
    return _replanned(instance, now, bump=False)


def linked(task: Task, instance: Task | None) -> Task:
    """``task`` with its successor noted (so it is created once)."""
    return task if instance is None else task.model_copy(update={"next_instance": instance.id})


def next_job(task: Task) -> PlannedJob | None:
    """The one job an open task has: its plan's first step. A closed task has none."""
    if not task.is_open or not task.plan:
        return None
    step = task.plan[0]
    record = JobRecord.model_validate(
        {
            "actorType": ACTOR_TYPE,
            "actorId": task.agent_id,
            "taskId": task.id,
            "kind": step.kind,
            "scheduleVersion": task.schedule_version,
            "step": step.key,
        }
    )
    return PlannedJob(task.job_of(step), step, record)


def overdue_step(task: Task, now: datetime, grace: timedelta) -> Step | None:
    """The first step, if its time passed more than ``grace`` ago (its job should have fired)."""
    if not task.is_open or not task.plan or task.plan[0].at > now - grace:
        return None
    return task.plan[0]


def refire(task: Task, step: Step, now: datetime) -> Task:
    """A missed step is recorded and moved to now (a new version: a late fire of it is stale)."""
    missed = (*task.missed, MissedFire(step=step.key, due=step.at, noticed_at=now))
    moved = step.model_copy(update={"at": now})
    return _with_plan(task.model_copy(update={"missed": missed}), (moved, *task.plan[1:]))


def judge_fire(task: Task | None, record: JobRecord) -> FireOutcome:
    if task is None:
        return FireOutcome.GONE
    if not task.is_open:
        return FireOutcome.CLOSED
    if record.schedule_version != task.schedule_version:
        return FireOutcome.STALE
    if not task.plan or task.plan[0].key != record.step_key:
        nid = notification_id(task.agent_id, task.id, record.step_key, record.schedule_version)
        repeat = nid in task.notified or (record.kind is JobKind.RECUR and task.next_instance)
        return FireOutcome.DUPLICATE if repeat else FireOutcome.STALE
    return FireOutcome.RECUR if task.plan[0].kind is JobKind.RECUR else FireOutcome.NOTIFY


def fired(task: Task, notification_id: str | None) -> Task:
    """The task after its first step fired: the step is done, the next one is scheduled."""
    notified = (*task.notified, notification_id) if notification_id else task.notified
    return _with_plan(task.model_copy(update={"notified": notified}), task.plan[1:], bump=False)


def _replanned(task: Task, now: datetime, bump: bool) -> Task:
    escalation = task.escalation
    plan = plans.build_plan(
        task.due_at, task.reminders, task.assignee, escalation, task.recurrence is not None, now
    )
    fresh = task.model_copy(update={"acknowledged_at": None, "snoozed_until": None})
    return _with_plan(fresh, plan, bump=bump)


def _with_plan(task: Task, plan: tuple[Step, ...] | list[Step], bump: bool = True) -> Task:
    steps = plans.ordered(plan)
    version = task.schedule_version + (1 if bump else 0)
    scheduled = (task.job_of(steps[0]),) if steps and task.is_open else ()
    return task.model_copy(
        update={"plan": steps, "schedule_version": version, "scheduled": scheduled}
    )


def _recur_step(task: Task, notifying: list[Step]) -> list[Step]:
    if task.recurrence is None or task.next_instance is not None:
        return notifying
    recur = Step(key="recur", kind=JobKind.RECUR, at=task.due_at, nominal=task.due_at)
    return [*notifying, recur]


def _with_rule(task: Task, text: str) -> Task:
    if not text:
        return task.model_copy(update={"recurrence": None})
    series = task.series_id or task.id
    rule = _rule(series, text, task.due_at, task.time_zone)
    update = {"recurrence": rule, "series_id": series, "series_start": task.due_at}
    return task.model_copy(update=update)


def _rule(series_id: str, text: str | None, due_at: datetime, zone: str) -> str | None:
    if not text:
        return None
    if len(series_id) > MAX_SERIES_ID:
        reason = f"a recurring task's id has at most {MAX_SERIES_ID} characters (instances add .N)"
        raise InvalidFieldError("id", reason)
    return validate_rule("recurrence", text, due_at, zone)


def _close(task: Task, status: TaskStatus, action: str, now: datetime) -> Task:
    if task.status is status:
        return task
    _require_open(task, action)
    closed = task.model_copy(update={"status": status, "closed_at": now, "updated_at": now})
    return _with_plan(closed, ())


def _require_open(task: Task, action: str) -> None:
    if not task.is_open:
        raise TaskConflictError(task.id, task.status.value, action)
