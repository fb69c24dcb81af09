"""The RPCs of ``dapr.proto.runtime.v1.Dapr`` this runtime does not serve, answered at once as
daprd 1.18.3 answers them when the building block has no component (recorded), or as its gRPC
proxy answers a method daprd 1.18 does not have. Request checks daprd makes before finding the
component missing are kept, so an empty request gets daprd's own message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from ._context import Context
from ._status import PROXY_ERROR, GrpcAnswer, error_info

Code = grpc.StatusCode
Rule = Callable[[Any], GrpcAnswer]


def _fixed(code: grpc.StatusCode, message: str, reason: str | None = None) -> Rule:
    details = [error_info(reason)] if reason else []
    return lambda request: GrpcAnswer(code, message, details)


def _binding(request: Any) -> GrpcAnswer:
    name = request.name
    problem = "operation field is missing from request"
    if request.operation:
        problem = f"couldn't find output binding {name}"
    message = f"error invoking output binding {name}: {problem}"
    return GrpcAnswer(Code.INTERNAL, message, [error_info("ERR_INVOKE_OUTPUT_BINDING")])


def _workflow_start(request: Any) -> GrpcAnswer:
    if not request.workflow_name:
        return GrpcAnswer(Code.INVALID_ARGUMENT, "workflow name is not configured")
    return _no_workflows(request)


def _workflow_instance(request: Any) -> GrpcAnswer:
    if not request.instance_id:
        return GrpcAnswer(Code.INVALID_ARGUMENT, "no instance ID was provided")
    return _no_workflows(request)


def _no_workflows(request: Any) -> GrpcAnswer:
    """daprd waits for its workflow engine here; this runtime has none and says so at once."""
    return GrpcAnswer(Code.UNIMPLEMENTED, "workflows are not supported by the local runtime")


def _conversation(request: Any) -> GrpcAnswer:
    message = f"failed finding conversation component {request.name}"
    return GrpcAnswer(Code.INVALID_ARGUMENT, message)


_NO_CONFIG = _fixed(
    Code.FAILED_PRECONDITION,
    "configuration stores not configured",
    "ERR_CONFIGURATION_STORE_NOT_CONFIGURED",
)
_CRYPTO = _fixed(
    Code.INVALID_ARGUMENT, "invalid request: first message does not contain the required options"
)
_SUBTLE = _fixed(Code.UNIMPLEMENTED, "this API is currently not implemented")
_PROXY = _fixed(Code.UNKNOWN, PROXY_ERROR)

RULES: dict[str, Rule] = {
    "InvokeBinding": _binding,
    "GetConfigurationAlpha1": _NO_CONFIG,
    "GetConfiguration": _NO_CONFIG,
    "SubscribeConfigurationAlpha1": _NO_CONFIG,
    "SubscribeConfiguration": _NO_CONFIG,
    "EncryptAlpha1": _CRYPTO,
    "DecryptAlpha1": _CRYPTO,
    "SubscribeActorEventsAlpha1": _fixed(
        Code.FAILED_PRECONDITION, "actor callback streaming requires a gRPC app channel"
    ),
    "ConverseAlpha1": _conversation,
    "ConverseAlpha2": _conversation,
    **{f"Subtle{op}Alpha1": _SUBTLE for op in ("GetKey", "Encrypt", "Decrypt", "WrapKey")},
    **{f"Subtle{op}Alpha1": _SUBTLE for op in ("UnwrapKey", "Sign", "Verify")},
    **{f"StartWorkflow{v}": _workflow_start for v in ("Alpha1", "Beta1")},
    **{
        f"{op}Workflow{v}": _workflow_instance
        for op in ("Get", "Purge", "Terminate", "Pause", "Resume", "RaiseEvent")
        for v in ("Alpha1", "Beta1")
    },
    # not in daprd 1.18: its proxy takes them
    "ListActorTimers": _PROXY,
    "GetActorTimer": _PROXY,
}
NOT_IN_DAPRD_PREFIXES: tuple[str, ...] = (
    *("CreateIndex", "GetIndex", "ListIndexes", "DeleteIndex", "IndexDocuments", "GetDocuments"),
    *("DeleteDocuments", "Search", "CreateCollection", "GetCollection", "ListCollections"),
    *("DeleteCollection", "UpsertVectors", "DeleteVectors", "GetVectors", "QueryVectors"),
    *("BatchQueryVectors", "SetBinaryFile", "GetBinaryFile", "DeleteBinaryFile"),
)


def rule_for(method: str) -> Rule | None:
    """How an unserved method answers; None for one this runtime serves."""
    if method in RULES:
        return RULES[method]
    if method.startswith(NOT_IN_DAPRD_PREFIXES):
        return _PROXY
    return None


def answering(rule: Rule) -> Callable[[Any, Any, Context], Any]:
    """A servicer method that ends every call with ``rule``'s answer to its first request."""

    async def method(self: Any, request: Any, context: Context) -> Any:
        first = request
        if hasattr(request, "__aiter__"):  # a client stream: daprd looks at the first message
            first = await anext(aiter(request), None)
        raise rule(first)

    return method
