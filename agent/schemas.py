"""Pydantic models of the REST API (request bodies and responses, with OpenAPI docs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from actors import TaskStatus

_DUE = "RFC 3339 time with offset, in the future, e.g. 2030-01-01T12:00:00+02:00."
_BEFORE = "Reminder lead time: ISO 8601 (PT15M) or Go (15m). Defaults to the agent's setting."
_REMINDERS = 'Lead times before due, e.g. ["P1D", "PT1H"] (instead of remind_before).'
_RRULE = "RFC 5545 RRULE evaluated in time_zone, e.g. FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=0."


class EscalationBody(BaseModel):
    """After due: notify ``escalate_to`` at due, then every ``every``, ``max`` times in all,
    until the task is acknowledged."""

    model_config = ConfigDict(extra="forbid")

    escalate_to: list[str] = Field(min_length=1, max_length=20)
    every: str = Field(description="ISO 8601 (PT4H) or Go (4h) duration.")
    max: int = Field(3, ge=1, le=50)


class TaskCreate(BaseModel):
    """Assign a task. Supplying ``id`` makes the call idempotent."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "report-q3",
                    "title": "Write the Q3 report",
                    "assignee": "bob",
                    "due_at": "2030-01-01T12:00:00+02:00",
                    "remind_before": "PT15M",
                    "time_zone": "Europe/Rome",
                }
            ]
        },
    )

    id: str | None = Field(None, description="Task id, [A-Za-z0-9][A-Za-z0-9_.-]{0,63}.")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    assignee: str = Field(min_length=1, max_length=200, description="Who gets the reminders.")
    due_at: str = Field(description=_DUE)
    remind_before: str | None = Field(None, description=_BEFORE)
    reminders: list[str] | None = Field(None, max_length=10, description=_REMINDERS)
    escalation: EscalationBody | None = None
    recurrence: str | None = Field(None, max_length=500, description=_RRULE)
    time_zone: str = Field("UTC", description="IANA zone of the task (display, recurrence).")


class TaskPatch(BaseModel):
    """Change an open task: reassign, reschedule, change the lead time, retitle."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    assignee: str | None = Field(None, min_length=1, max_length=200)
    due_at: str | None = Field(None, description=_DUE)
    remind_before: str | None = Field(None, description=_BEFORE)
    reminders: list[str] | None = Field(None, max_length=10, description=_REMINDERS)
    escalation: EscalationBody | None = None
    recurrence: str | None = Field(
        None, max_length=500, description=_RRULE + " Future instances only; '' ends the series."
    )
    time_zone: str | None = None


class SnoozeBody(BaseModel):
    """Move the next notification: ``for`` a duration from now, or ``until`` a time."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    for_: str | None = Field(None, alias="for", description="ISO 8601 or Go duration.")
    until: str | None = Field(None, description="RFC 3339 time with offset.")


class FireOut(BaseModel):
    agent_id: str
    task_id: str
    title: str
    step: str = Field(description="reminder, reminder2, overdue, escalation, escalation2, recur")
    kind: str
    at: str = Field(description="When it fires, UTC.")
    at_local: str = Field(description="When it fires, in the task's time zone.")
    time_zone: str
    planned_at: str = Field(description="When the plan meant it to fire.")
    recipients: list[str]
    moved_to_now: bool = Field(description="Its lead time had passed when planned: fires now.")
    snoozed: bool


class UpcomingList(BaseModel):
    upcoming: list[FireOut]


class TaskOut(BaseModel):
    id: str
    agent_id: str
    title: str
    description: str
    assignee: str
    status: TaskStatus
    due_at: str = Field(description="Due time, UTC.")
    due_at_local: str = Field(description="Due time in the task's time zone.")
    time_zone: str
    remind_before: str | None = Field(description="The longest lead time, ISO 8601.")
    remind_at: str | None = Field(description="When the next reminder fires, UTC.")
    reminders: list[str]
    escalation: dict[str, Any] | None
    recurrence: str | None
    series_id: str | None
    occurrence: int
    next_instance: str | None = Field(description="The recurring task's next instance, once made.")
    acknowledged_at: str | None
    snoozed_until: str | None
    next_fires: list[FireOut] = Field(description="Pending fires, in order.")
    schedule_version: int = Field(description="Bumped by every change that affects the jobs.")
    created_at: str
    updated_at: str
    closed_at: str | None
    notifications_sent: list[str]
    missed_fires: list[dict[str, Any]] = Field(
        description="Steps whose job Dapr gave up on (failure policy exhausted), fired again."
    )


class TaskList(BaseModel):
    tasks: list[TaskOut]


class NotificationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Deterministic: agent:task:step:schedule_version.")
    agent_id: str
    task_id: str
    kind: str
    step: str | None = None
    recipients: list[str] | None = None
    moved_to_now: bool = Field(False, description="Its lead time had passed: sent at once.")
    delivery_status: str = Field(
        "unknown",
        description="The notifier's: delivered, dead_letter, replayed, pending; unknown when the"
        " notifier could not be asked, not_stored when it has no record.",
    )
    deliveries: list[dict[str, Any]] = Field(default_factory=list)
    schedule_version: int
    assignee: str
    title: str
    due_at: str
    message: str
    created_at: str


class NotificationList(BaseModel):
    notifications: list[NotificationOut]


class AgentOut(BaseModel):
    agent_id: str
    open_tasks: int
    next_fire: FireOut | None


class AgentList(BaseModel):
    agents: list[AgentOut]


class ErrorBody(BaseModel):
    errorCode: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class LabScheduled(BaseModel):
    job_name: str
    scheduled: dict[str, Any] = Field(description="The job body sent to the Jobs API.")


class LabAck(BaseModel):
    status: str = "ok"


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 404, 409, 415, 422, 502, 503)
}
