"""The JSON forms of a task, its pending fires and its notifications (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._contracts import JobKind
from ._plan import Moved, Step
from ._task import Task
from ._times import format_duration, format_instant


def task_view(task: Task) -> dict[str, Any]:
    """The public JSON form of a task (shared by the actor wire and the REST API)."""
    first = next((s for s in task.plan if s.kind is JobKind.REMINDER), None)
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
        "remind_before": format_duration(max(task.reminders)) if task.reminders else None,
        "remind_at": format_instant(first.at) if first else None,
        "reminders": [format_duration(lead) for lead in task.reminders],
        "escalation": _escalation_view(task),
        "recurrence": task.recurrence,
        "series_id": task.series_id,
        "occurrence": task.occurrence,
        "next_instance": task.next_instance,
        "acknowledged_at": _instant(task.acknowledged_at),
        "snoozed_until": _instant(task.snoozed_until),
        "next_fires": [fire_view(task, step) for step in task.plan],
        "schedule_version": task.schedule_version,
        "created_at": format_instant(task.created_at),
        "updated_at": format_instant(task.updated_at),
        "closed_at": _instant(task.closed_at),
        "notifications_sent": list(task.notified),
        "missed_fires": [
            {
                "step": m.step,
                "due": format_instant(m.due),
                "noticed_at": format_instant(m.noticed_at),
            }
            for m in task.missed
        ],
    }


def fire_view(task: Task, step: Step) -> dict[str, Any]:
    """One pending fire, with its times in UTC and in the task's zone."""
    return {
        "agent_id": task.agent_id,
        "task_id": task.id,
        "title": task.title,
        "step": step.key,
        "kind": step.kind.value,
        "at": format_instant(step.at),
        "at_local": format_instant(step.at, task.time_zone),
        "time_zone": task.time_zone,
        "planned_at": format_instant(step.nominal),
        "recipients": list(step.recipients),
        "moved_to_now": step.moved is Moved.NOW,
        "snoozed": step.moved is Moved.SNOOZED,
    }


def build_notification(task: Task, step: Step, now: datetime) -> dict[str, Any]:
    return {
        "id": task.notification_of(step),
        "agent_id": task.agent_id,
        "task_id": task.id,
        "kind": step.kind.value,
        "step": step.key,
        "schedule_version": task.schedule_version,
        "assignee": task.assignee,
        "recipients": list(step.recipients),
        "title": task.title,
        "due_at": format_instant(task.due_at),
        "due_at_local": format_instant(task.due_at, task.time_zone),
        "fire_at": format_instant(step.at),
        "moved_to_now": step.moved is Moved.NOW,
        "snoozed": step.moved is Moved.SNOOZED,
        "occurrence": task.occurrence,
        "message": _message(task, step),
        "created_at": format_instant(now),
    }


def _escalation_view(task: Task) -> dict[str, Any] | None:
    esc = task.escalation
    if esc is None:
        return None
    return {"escalate_to": list(esc.to), "every": format_duration(esc.every), "max": esc.max}


def _instant(moment: datetime | None) -> str | None:
    return format_instant(moment) if moment is not None else None


def _message(task: Task, step: Step) -> str:
    due = format_instant(task.due_at, task.time_zone)
    who = f"task '{task.title}' assigned to {task.assignee}"
    if step.kind is JobKind.OVERDUE:
        return f"Task '{task.title}' assigned to {task.assignee} is overdue (was due {due})."
    if step.kind is JobKind.ESCALATION:
        total = task.escalation.max if task.escalation else 1
        number = int(step.key.removeprefix("escalation") or 1)
        return f"Escalation {number}/{total}: {who} is overdue (was due {due}), not acknowledged."
    late = " (its lead time had passed: sent now)" if step.moved is Moved.NOW else ""
    return f"Reminder: {who} is due at {due}.{late}"
