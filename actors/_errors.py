"""Domain errors: named for what failed, carrying the ids, able to cross the actor boundary.

Actor methods never let these escape as exceptions (the SDK would flatten them into an opaque 500);
they return them as ``{"ok": false, "error": {...}}`` and callers rebuild them with
:func:`error_from_wire`. Each app maps ``code`` to an HTTP status once, in its exception handler.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TaskError(Exception):
    """Base class; ``code`` is the stable wire name, ``details`` names fields and ids."""

    default_code: ClassVar[str] = "ERR_TASK"

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.code = self.default_code

    def to_wire(self) -> dict[str, Any]:
        return {"errorCode": self.code, "message": self.message, "details": dict(self.details)}


class InvalidFieldError(TaskError):
    """A request field is malformed or out of range."""

    default_code = "ERR_INVALID_FIELD"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"invalid {field}: {reason}", field=field)


class InvalidIdError(InvalidFieldError):
    default_code = "ERR_INVALID_ID"

    def __init__(self, field: str, value: str) -> None:
        reason = f"{value!r} must match [A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}"
        super().__init__(field, reason)


class InvalidTimeError(InvalidFieldError):
    default_code = "ERR_INVALID_TIME"


class InvalidDurationError(InvalidFieldError):
    default_code = "ERR_INVALID_DURATION"


class InvalidRecurrenceError(InvalidFieldError):
    default_code = "ERR_INVALID_RECURRENCE"


class DueDateInPastError(InvalidFieldError):
    default_code = "ERR_DUE_DATE_IN_PAST"

    def __init__(self, due_at: str, now: str) -> None:
        super().__init__("due_at", f"{due_at} is not after the current time {now}")


class TaskNotFoundError(TaskError):
    default_code = "ERR_TASK_NOT_FOUND"

    def __init__(self, agent_id: str, task_id: str) -> None:
        msg = f"task {task_id!r} of agent {agent_id!r} not found"
        super().__init__(msg, agent_id=agent_id, task_id=task_id)


class TaskConflictError(TaskError):
    """The task exists in a state that does not allow the requested change."""

    default_code = "ERR_TASK_CONFLICT"

    def __init__(self, task_id: str, status: str, action: str) -> None:
        msg = f"cannot {action} task {task_id!r}: it is {status}"
        super().__init__(msg, task_id=task_id, status=status, action=action)


class NothingPendingError(TaskConflictError):
    """A snooze of a task that has no notification left to fire."""

    def __init__(self, task_id: str, action: str) -> None:
        TaskError.__init__(
            self,
            f"cannot {action} task {task_id!r}: no notification is pending",
            task_id=task_id,
            action=action,
        )
        self.code = self.default_code


class TaskIdConflictError(TaskError):
    """A create with a client-chosen id whose task already exists with other content."""

    default_code = "ERR_TASK_ID_CONFLICT"

    def __init__(self, task_id: str) -> None:
        msg = f"task {task_id!r} already exists with different content"
        super().__init__(msg, task_id=task_id)


class TurnBusyError(Exception):
    """Not a domain error: the actor's turn stayed taken for too long; the caller retries."""

    def __init__(self, agent_id: str, waited: float) -> None:
        super().__init__(f"agent {agent_id}: its turn stayed taken for {waited:g} s; try again")


class RemoteTaskError(TaskError):
    """A :class:`TaskError` rebuilt from its wire form (the original class is not needed)."""

    def __init__(self, code: str, message: str, details: dict[str, str]) -> None:
        super().__init__(message, **details)
        self.code = code


def error_from_wire(body: dict[str, Any]) -> TaskError:
    details = body.get("details") or {}
    code = str(body.get("errorCode", TaskError.default_code))
    return RemoteTaskError(
        code, str(body.get("message", "")), {k: str(v) for k, v in details.items()}
    )
