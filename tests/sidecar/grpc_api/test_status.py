"""DaprError to gRPC status: the code, the message and the rich details the SDK reads."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from sidecar.api.invoke import invoke_error
from sidecar.dapr_errors import DaprError
from sidecar.grpc_api._status import DETAILS_KEY, from_dapr_error, unauthenticated
from sidecar.state.operations import illegal_key, store_missing


def _details(answer: object) -> list[object]:
    (key, raw), *_ = answer.trailing_metadata()  # type: ignore[attr-defined]
    assert key == DETAILS_KEY
    status = status_pb2.Status.FromString(raw)
    out: list[object] = []
    for packed in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.ResourceInfo):
            if packed.Is(kind.DESCRIPTOR):
                message = kind()
                packed.Unpack(message)
                out.append(message)
        if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            packed.Unpack(bad)
            out.append(bad)
    return out


def test_a_legacy_error_gets_its_code_as_the_error_info_reason() -> None:
    answer = from_dapr_error(DaprError(409, "ERR_STATE_SAVE", "possible etag mismatch"))
    assert (answer.code, answer.message) == (grpc.StatusCode.ABORTED, "possible etag mismatch")
    (info,) = _details(answer)
    assert (info.reason, info.domain) == ("ERR_STATE_SAVE", "dapr.io")  # type: ignore[attr-defined]


def test_a_kit_error_keeps_its_details_in_order() -> None:
    answer = from_dapr_error(illegal_key("statestore", "a||b"))
    assert answer.code == grpc.StatusCode.INVALID_ARGUMENT
    assert answer.message == "input key/keyPrefix 'a||b' can't contain '||'"
    bad, resource, info = _details(answer)
    assert bad.field_violations[0].field == "a||b"  # type: ignore[attr-defined]
    assert resource.resource_name == "statestore"  # type: ignore[attr-defined]
    assert info.reason == "DAPR_STATE_ILLEGAL_KEY"  # type: ignore[attr-defined]


def test_grpc_form_overrides_the_http_one() -> None:
    answer = from_dapr_error(store_missing("s", "app", configured=True))
    (info,) = _details(answer)
    assert not info.metadata  # type: ignore[attr-defined]
    bare = from_dapr_error(invoke_error("x", "boom"))
    assert bare.code == grpc.StatusCode.INTERNAL and bare.trailing_metadata() == ()


def test_token_refusal_is_daprds() -> None:
    answer = unauthenticated("missing api token in request metadata")
    assert (answer.code, answer.message) == (grpc.StatusCode.UNAUTHENTICATED, "Unauthorized")
    (info,) = _details(answer)
    assert dict(info.metadata)["http.code"] == "401"  # type: ignore[attr-defined]
