"""InvokeService: a call to an (HTTP) app through the invocation path the HTTP API uses.

The request's ``http_extension`` gives the verb and query, ``data``'s bytes are the body and
``content_type`` its type; the caller's gRPC metadata goes along as headers the way daprd turns
it into HTTP headers. The app's answer comes back as ``InvokeResponse``, or as daprd's status for
a non-2xx answer (recorded from daprd 1.18.3).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import grpc
import httpx
from dapr.proto.common.v1 import common_pb2
from google.protobuf import any_pb2

from ..api.invoke import Call, invoke, invoke_error
from ..tracing import ZERO_TRACEPARENT
from ._context import Context, Services
from ._status import GrpcAnswer, error_info

# dapr's CodeFromHTTPStatus: the gRPC code of an app's HTTP answer (other 2xx: OK; else UNKNOWN)
_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    408: grpc.StatusCode.CANCELLED,
    409: grpc.StatusCode.ALREADY_EXISTS,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    500: grpc.StatusCode.UNKNOWN,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}
_VERBS = {0: "NONE", 1: "GET", 2: "HEAD", 3: "POST", 4: "PUT", 5: "DELETE", 6: "CONNECT"}
_VERBS |= {7: "OPTIONS", 8: "TRACE", 9: "PATCH"}
_NOT_FORWARDED = frozenset({"dapr-api-token", "content-type", "te", "content-length"})


def caller_headers(context: Context, content_type: str) -> dict[str, str]:
    """The call's metadata as daprd forwards it: ``grpc-*`` and ``:authority`` as ``dapr-*``."""
    out: dict[str, str] = {}
    for key, value in context.invocation_metadata() or ():
        if key in _NOT_FORWARDED or key.endswith("-bin") or not isinstance(value, str):
            continue
        if key.startswith("grpc-") or key == ":authority":
            key = "dapr-" + key.lstrip(":")
        out[key] = value
    if content_type:
        out["content-type"] = content_type
    out.setdefault("traceparent", ZERO_TRACEPARENT)
    return out


def _bad_method(app_id: str, method: str) -> str | None:
    if any(c in "#?" or ord(c) < 0x20 or ord(c) == 0x7F for c in method):
        detail = f'invalid method: method contains forbidden character: "{method}"'
        return f"rpc error: code = InvalidArgument desc = {detail}"
    return None


def _call(request: Any) -> Call:
    message = request.message
    app_id = request.id
    if not app_id:
        raise invoke_error(app_id, "app id is empty")
    if not message.HasField("http_extension"):
        desc = "rpc error: code = InvalidArgument desc = missing HTTP extension field"
        raise invoke_error(app_id, desc)
    problem = _bad_method(app_id, message.method)
    if problem is not None:
        raise invoke_error(app_id, problem)
    verb = _VERBS.get(message.http_extension.verb, "POST")
    return Call(verb, message.method, message.http_extension.querystring, message.data.value)


def _answer(resp: httpx.Response) -> common_pb2.InvokeResponse:
    if 200 <= resp.status_code < 300:
        data = any_pb2.Any(value=resp.content)
        return common_pb2.InvokeResponse(
            data=data, content_type=resp.headers.get("content-type", "")
        )
    text = (
        HTTPStatus(resp.status_code).phrase
        if resp.status_code in HTTPStatus._value2member_map_
        else ""
    )
    meta = {"http.code": str(resp.status_code), "http.error_message": resp.text}
    code = _CODES.get(resp.status_code, grpc.StatusCode.UNKNOWN)
    raise GrpcAnswer(code, text, [error_info(text, meta)])


class InvokeRpcs:
    services: Services

    async def InvokeService(self, request: Any, context: Context) -> common_pb2.InvokeResponse:
        call = _call(request)
        headers = caller_headers(context, request.message.content_type)
        return _answer(await invoke(self.services, request.id, call, headers))
