"""The ProjectManagementAgent actor interface: the wire method names are fixed here.

Each method takes one JSON object and answers an envelope (see :mod:`actors._contracts`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar, cast

from dapr.actor import ActorInterface, actormethod

F = TypeVar("F", bound=Callable[..., Any])


def wire_name(name: str) -> Callable[[F], F]:
    """``actormethod`` with its type kept (the SDK's decorator is untyped)."""
    return cast(Callable[[F], F], actormethod(name=name))


class ProjectManagementAgentInterface(ActorInterface):
    @wire_name("AssignTask")
    @abstractmethod
    async def assign_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """Create a task and its jobs; idempotent when the request carries an id."""

    @wire_name("UpdateTask")
    @abstractmethod
    async def update_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """Reassign, reschedule, retitle or change the reminder lead time of an open task."""

    @wire_name("CompleteTask")
    @abstractmethod
    async def complete_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """Mark the task completed and delete its jobs."""

    @wire_name("CancelTask")
    @abstractmethod
    async def cancel_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """Mark the task cancelled and delete its jobs."""

    @wire_name("GetTask")
    @abstractmethod
    async def get_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """One task by id."""

    @wire_name("ListTasks")
    @abstractmethod
    async def list_tasks(self, request: dict[str, Any]) -> dict[str, Any]:
        """Tasks, optionally filtered by status and assignee."""

    @wire_name("SnoozeTask")
    @abstractmethod
    async def snooze_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """Move the next notification to later (``for`` a duration or ``until`` a time)."""

    @wire_name("AcknowledgeTask")
    @abstractmethod
    async def acknowledge_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """Stop the task's pending reminders and escalations (it stays open)."""

    @wire_name("Upcoming")
    @abstractmethod
    async def upcoming(self, request: dict[str, Any]) -> dict[str, Any]:
        """The next fires across the agent's open tasks, earliest first."""

    @wire_name("Reconcile")
    @abstractmethod
    async def reconcile(self, request: dict[str, Any]) -> dict[str, Any]:
        """Find open tasks whose due step's job is gone (failure policy exhausted); record and
        fire them again. The agent app's periodic self-check calls it."""

    @wire_name("OnReminderDue")
    @abstractmethod
    async def on_reminder_due(self, request: dict[str, Any]) -> dict[str, Any]:
        """A job fired: notify once, unless the fire is stale or a repeat."""

    @wire_name("ListNotifications")
    @abstractmethod
    async def list_notifications(self, request: dict[str, Any]) -> dict[str, Any]:
        """Notifications this agent sent, newest last, optionally for one task."""
