"""daprd's errors as gRPC statuses: code, message and rich details in ``grpc-status-details-bin``
(``google.rpc.Status`` holding ErrorInfo, ResourceInfo, BadRequest), which the SDK reads into
``DaprGrpcError``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import error_details_pb2, status_pb2

from ..dapr_errors import ERROR_INFO_TYPE, DaprError

DETAILS_KEY = "grpc-status-details-bin"
_DETAIL_TYPES = {
    "ErrorInfo": error_details_pb2.ErrorInfo,
    "ResourceInfo": error_details_pb2.ResourceInfo,
    "BadRequest": error_details_pb2.BadRequest,
}
# The gRPC code daprd pairs with each HTTP status of the same error (dapr/kit errors, and the
# codes of its legacy messages), unless the error says otherwise (DaprError.on_grpc).
_CODE_FOR_STATUS = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ABORTED,
    500: grpc.StatusCode.INTERNAL,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
}
PROXY_ERROR = (
    "failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found"
)


class GrpcAnswer(Exception):
    """A status to end the call with (raised by the servicer, written by the edge)."""

    def __init__(
        self, code: grpc.StatusCode, message: str, details: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, list(details)

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        if not self.details:
            return ()
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        status.details.extend(_pack(d) for d in self.details)
        return ((DETAILS_KEY, status.SerializeToString()),)


def error_info(reason: str, metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"@type": ERROR_INFO_TYPE, "domain": "dapr.io", "metadata": metadata, "reason": reason}


def _pack(detail: Mapping[str, Any]) -> any_pb2.Any:
    kind = str(detail["@type"]).rsplit(".", 1)[-1]
    fields = {k: v for k, v in detail.items() if k != "@type" and v is not None}
    message = json_format.ParseDict(fields, _DETAIL_TYPES[kind]())
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def from_dapr_error(err: DaprError) -> GrpcAnswer:
    """The status daprd's gRPC API gives for ``err``."""
    if err.grpc_code is not None:
        code = grpc.StatusCode[err.grpc_code]
    else:
        code = _CODE_FOR_STATUS.get(err.status, grpc.StatusCode.INTERNAL)
    details = err.grpc_details
    if details is None:
        details = err.body().get("details") or [error_info(err.error_code)]
    return GrpcAnswer(code, err.grpc_message or err.message, details)


def unauthenticated(problem: str) -> GrpcAnswer:
    """daprd's answer to a missing or wrong ``dapr-api-token`` (recorded from daprd 1.18.3)."""
    meta = {"http.code": "401", "http.error_message": problem}
    return GrpcAnswer(
        grpc.StatusCode.UNAUTHENTICATED, "Unauthorized", [error_info("Unauthorized", meta)]
    )
