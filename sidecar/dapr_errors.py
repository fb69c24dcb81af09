"""Dapr-shaped errors: raised deep, turned into daprd's answers once, at each API's edge (JSON
bodies over HTTP, a status with rich details over gRPC)."""

from __future__ import annotations

from typing import Any

ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"


class DaprError(Exception):
    """An error with daprd's wire form: status, errorCode, message and optional ErrorInfo.

    ``reason`` set means a "kit" error (dapr/kit rich errors), whose body carries a ``details`` list
    with one ErrorInfo; without it the body is daprd's legacy ``{"errorCode","message"}``.

    Over gRPC the same error is a status: ``grpc_code`` (a ``grpc.StatusCode`` name; by default
    the one daprd pairs with ``status``), ``grpc_message`` (default ``message``) and the details of
    ``body()`` (a legacy error gets an ErrorInfo whose reason is its errorCode, as daprd adds).
    ``on_grpc`` sets these where daprd's gRPC API words the same error differently.
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
        self.grpc_code: str | None = None
        self.grpc_message: str | None = None
        self.grpc_details: list[dict[str, Any]] | None = None

    def on_grpc(
        self, code: str, message: str | None = None, details: list[dict[str, Any]] | None = None
    ) -> DaprError:
        """How daprd's gRPC API gives this error, where it differs from the HTTP form."""
        self.grpc_code, self.grpc_message, self.grpc_details = code, message, details
        return self

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
