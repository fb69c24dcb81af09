"""REST models of the notifier."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NotificationIn(BaseModel):
    """A notification; ``id`` is the idempotency key. Unknown fields are kept."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=300, pattern=r"^[^/\\#?\s|]+$")
    agent_id: str | None = None
    task_id: str | None = None
    kind: str | None = None
    assignee: str | None = None
    message: str = ""


class IntakeResult(BaseModel):
    id: str
    status: str = Field(description="delivered (new), duplicate (seen before), dead_letter")


class NotificationOut(NotificationIn):
    delivered: bool
    status: str = Field(description="pending, delivered, dead_letter, replaying, replayed")
    received_at: str
    deliveries: list[dict[str, Any]] = Field(
        default_factory=list, description="Per recipient: channel, status and every attempt."
    )


class NotificationList(BaseModel):
    notifications: list[NotificationOut]


class ErrorBody(BaseModel):
    errorCode: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
