"""Notifier errors, translated to JSON once by the app."""

from __future__ import annotations


class NotifierError(Exception):
    code = "ERR_NOTIFIER"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StateStoreError(NotifierError):
    """The Dapr state store (through the sidecar) failed or could not be reached."""

    code = "ERR_STATE_STORE"
    status = 503

    def __init__(self, message: str, sidecar_status: int | None = None) -> None:
        super().__init__(message)
        self.sidecar_status = sidecar_status


class DeadLetterNotFoundError(NotifierError):
    code = "ERR_DEAD_LETTER_NOT_FOUND"
    status = 404

    def __init__(self, notification_id: str) -> None:
        super().__init__(f"no dead letter {notification_id!r}")


class ReplayInProgressError(NotifierError):
    code = "ERR_REPLAY_IN_PROGRESS"
    status = 409

    def __init__(self, notification_id: str) -> None:
        super().__init__(f"dead letter {notification_id!r} is being replayed right now")
