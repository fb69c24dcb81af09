"""Wire shapes of the actor methods (JSON objects in, JSON objects out).

Every method answers an envelope: ``{"ok": true, "value": ...}`` or
``{"ok": false, "error": {"errorCode", "message", "details"}}``, so domain errors survive the
trip through the sidecar (an exception would reach the caller only as an opaque 500).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import InvalidFieldError, TaskError

ACTOR_TYPE = "ProjectManagementAgent"
M = TypeVar("M", bound=BaseModel)


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    """What a step of a task's plan does when its job fires."""

    REMINDER = "reminder"  # to the assignee, a lead time before due
    OVERDUE = "overdue"  # to the assignee, at due
    ESCALATION = "escalation"  # to the escalation recipients, at due and then every interval
    RECUR = "recur"  # no notification: a recurring task's next instance is created


JOB_KINDS = frozenset(kind.value for kind in JobKind)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EscalationIn(_Request):
    """After due, notify ``escalate_to`` at due, then every ``every``, ``max`` times in all."""

    escalate_to: list[str] = Field(min_length=1, max_length=20)
    every: str = Field(description="ISO 8601 or Go duration between escalations.")
    max: int = Field(3, ge=1, le=50, description="Escalations in all, the first at due.")


class AssignTask(_Request):
    id: str | None = Field(None, description="Client-chosen task id; makes the create idempotent.")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    assignee: str = Field(min_length=1, max_length=200)
    due_at: str = Field(description="RFC 3339 time with offset, in the future.")
    remind_before: str | None = Field(None, description="ISO 8601 (PT15M) or Go (15m) duration.")
    reminders: list[str] | None = Field(None, max_length=10, description="Lead times before due.")
    escalation: EscalationIn | None = None
    recurrence: str | None = Field(None, max_length=500, description="RFC 5545 RRULE.")
    time_zone: str = Field("UTC", description="IANA zone of the task (display, recurrence).")


class UpdateTask(_Request):
    task_id: str
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    assignee: str | None = Field(None, min_length=1, max_length=200)
    due_at: str | None = None
    remind_before: str | None = None
    reminders: list[str] | None = Field(None, max_length=10)
    escalation: EscalationIn | None = None
    recurrence: str | None = Field(None, max_length=500, description="'' ends the series.")
    time_zone: str | None = None


class TaskRef(_Request):
    task_id: str


class SnoozeTask(_Request):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    task_id: str
    for_: str | None = Field(None, alias="for", description="Duration from now.")
    until: str | None = Field(None, description="RFC 3339 time with offset.")


class ListTasks(_Request):
    status: TaskStatus | None = None
    assignee: str | None = None


class ListNotifications(_Request):
    task_id: str | None = None


class Upcoming(_Request):
    limit: int = Field(50, ge=1, le=1000)


class JobRecord(BaseModel):
    """The ``data`` of every task job: enough to route a fire and to judge it stale."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    actor_type: str = Field(alias="actorType")
    actor_id: str = Field(alias="actorId")
    task_id: str = Field(alias="taskId")
    kind: JobKind
    schedule_version: int = Field(alias="scheduleVersion", ge=1)
    step: str | None = Field(None, description="The plan step; records from before plans: kind.")

    @property
    def step_key(self) -> str:
        return self.step or self.kind.value

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def parse_request(model: type[M], payload: object) -> M:
    """Validate a method argument; shape errors become :class:`InvalidFieldError`."""
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidFieldError(field, first["msg"]) from exc


def ok(value: Any) -> dict[str, Any]:
    return {"ok": True, "value": value}


def failed(error: TaskError) -> dict[str, Any]:
    return {"ok": False, "error": error.to_wire()}
