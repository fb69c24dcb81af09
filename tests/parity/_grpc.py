"""gRPC exchanges of the parity catalogue: one unary call to ``dapr.proto.runtime.v1.Dapr``,
the request given as protobuf JSON, and what to observe: the status code, message and rich
details, the response message as protobuf JSON, and what the app received because of it."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from dapr.proto.runtime.v1 import dapr_pb2
from google.protobuf import json_format, text_format, wrappers_pb2  # noqa: F401 (StringValue in Any)
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from grpc_status import rpc_status

from ._model import MAIN, expand

SERVICE = dapr_pb2.DESCRIPTOR.services_by_name["Dapr"]
TIMEOUT = 30.0


@dataclass(frozen=True)
class GrpcExchange:
    """``method`` of the Dapr service called with ``message`` (protobuf JSON; string values may
    name context values as ``${name}``) and ``metadata``; ``app``/``app_count`` as for HTTP."""

    id: str
    method: str
    message: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    runtime: str = MAIN
    app: str | None = None
    app_count: int = 0
    app_unordered: bool = False
    app_runtime: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"grpc": self.method, "message": dict(self.message)}
        if self.runtime != MAIN:
            out["runtime"] = self.runtime
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        return out


def gx(id: str, method: str, message: Mapping[str, Any] | None = None, **kw: Any) -> GrpcExchange:
    return GrpcExchange(id, method, message or {}, **kw)


def message_json(message: Message) -> Any:
    """protobuf JSON; a message holding an Any of no known type (daprd sends those, with an
    empty type URL) as its text form instead, with bytes shown as base64."""
    try:
        return json_format.MessageToDict(message)
    except (TypeError, json_format.Error):
        fields = {f.name: _plain(v) for f, v in message.ListFields()}
        return {"unresolved": fields}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Message):
        return (
            message_json(value)
            if value.DESCRIPTOR.full_name != "google.protobuf.Any"
            else {
                "type_url": value.type_url,  # type: ignore[attr-defined]
                "value": base64.b64encode(value.value).decode(),  # type: ignore[attr-defined]
            }
        )
    return text_format.MessageToString(value) if hasattr(value, "ListFields") else value


def _request(ex: GrpcExchange, context: Mapping[str, str]) -> tuple[Any, Any, Message]:
    method = SERVICE.methods_by_name[ex.method]
    request = GetMessageClass(method.input_type)()
    json_format.ParseDict(json.loads(expand(json.dumps(ex.message), context)), request)
    return method, GetMessageClass(method.output_type), request


def sorted_maps(value: Any) -> Any:
    """Every JSON object with its keys sorted: protobuf maps have no order (Go's differs from
    run to run), nor do protojson objects."""
    if isinstance(value, dict):
        return {k: sorted_maps(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_maps(v) for v in value]
    return value


def call(channel: grpc.Channel, ex: GrpcExchange, context: Mapping[str, str]) -> dict[str, Any]:
    """The observed answer (objects' keys sorted): ``code``, and ``message`` and ``details``
    or ``response``."""
    return sorted_maps(_call(channel, ex, context))


def _call(channel: grpc.Channel, ex: GrpcExchange, context: Mapping[str, str]) -> dict[str, Any]:
    method, output, request = _request(ex, context)
    stub = channel.unary_unary(
        f"/{SERVICE.full_name}/{method.name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=output.FromString,
    )
    metadata = tuple((k, expand(v, context)) for k, v in ex.metadata.items())
    try:
        response = stub(request, metadata=metadata, timeout=TIMEOUT)
    except grpc.RpcError as exc:
        return _failure(exc)
    return {"code": "OK", "response": message_json(response)}


def _failure(exc: grpc.RpcError) -> dict[str, Any]:
    out: dict[str, Any] = {"code": exc.code().name, "message": exc.details()}  # type: ignore[attr-defined]
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    if status is not None and status.details:
        out["details"] = [json_format.MessageToDict(d) for d in status.details]
    return out
