"""Pydantic models of the REST API (request bodies and responses, with OpenAPI docs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from actors import TaskStatus

_DUE = "RFC 3339 time with offset, in the future, e.g. 2030-01-01T12:00:00+02:00."
_BEFORE = "Reminder lead time: ISO 8601 (PT15M) or Go (15m). Defaults to the agent's setting."


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
    time_zone: str = Field("UTC", description="IANA zone used to display times.")


class TaskPatch(BaseModel):
    """Change an open task: reassign, reschedule, change the lead time, retitle."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    assignee: str | None = Field(None, min_length=1, max_length=200)
    due_at: str | None = Field(None, description=_DUE)
    remind_before: str | None = Field(None, description=_BEFORE)
    time_zone: str | None = None


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
    remind_before: str = Field(description="Lead time, ISO 8601.")
    remind_at: str = Field(description="When the reminder fires, UTC.")
    schedule_version: int = Field(description="Bumped by every change that affects the jobs.")
    created_at: str
    updated_at: str
    closed_at: str | None
    notifications_sent: list[str]


class TaskList(BaseModel):
    tasks: list[TaskOut]


class NotificationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Deterministic: agent:task:kind:schedule_version.")
    agent_id: str
    task_id: str
    kind: str
    schedule_version: int
    assignee: str
    title: str
    due_at: str
    message: str
    created_at: str


class NotificationList(BaseModel):
    notifications: list[NotificationOut]


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
