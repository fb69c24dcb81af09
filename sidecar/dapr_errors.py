"""Dapr-shaped errors: raised deep, turned into daprd's JSON bodies once, at the HTTP edge."""

from __future__ import annotations

from typing import Any

ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"


class DaprError(Exception):
    """An error with daprd's wire form: status, errorCode, message and optional ErrorInfo.

    ``reason`` set means a "kit" error (dapr/kit rich errors), whose body carries a ``details`` list
    with one ErrorInfo; without it the body is daprd's legacy ``{"errorCode","message"}``.
    """

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        *,
        reason: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.reason = reason
        self.metadata = metadata

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"errorCode": self.error_code, "message": self.message}
        if self.reason is not None:
            info: dict[str, Any] = {"@type": ERROR_INFO_TYPE, "domain": "dapr.io"}
            if self.metadata:
                info["metadata"] = self.metadata
            info["reason"] = self.reason
            out["details"] = [info]
        return out


def malformed(detail: str) -> DaprError:
    """daprd's answer to a body that does not decode (legacy shape)."""
    return DaprError(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {detail}")


def body_read(detail: str) -> DaprError:
    return DaprError(400, "ERR_BODY_READ", f"failed to read request body: {detail}")


def bad_request(message: str) -> DaprError:
    return DaprError(400, "ERR_BAD_REQUEST", message)
