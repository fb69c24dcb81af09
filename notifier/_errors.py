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


class DeliveryError(NotifierError):
    """The webhook did not accept the notification after all attempts."""

    code = "ERR_DELIVERY_FAILED"
    status = 502

    def __init__(self, notification_id: str, url: str, reason: str) -> None:
        super().__init__(f"delivering {notification_id} to {url} failed: {reason}")
        self.notification_id = notification_id
