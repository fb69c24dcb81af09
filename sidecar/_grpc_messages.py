"""The messages of the gRPC app channel, built and read as daprd 1.18 does.

Sources: ``pkg/api/http/directmessaging.go`` and ``pkg/messaging/v1/util.go`` (an HTTP caller's
request as ``InvokeRequest`` plus metadata, the app's answer or status back as HTTP),
``pkg/runtime/pubsub/subscriptions.go`` (``TopicEventRequest``, ``ListTopicSubscriptions``),
``pkg/channel/grpc/grpc_channel.go`` (``JobEventRequest``). Recorded with daprd 1.18.3 and a
``dapr.ext.grpc`` app (tests/integration/test_grpc_app.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from dapr.proto.common.v1 import common_pb2
from dapr.proto.runtime.v1 import appcallback_pb2
from google.protobuf import any_pb2, json_format, struct_pb2
from google.rpc import error_details_pb2, status_pb2

from . import gojson
from .app_channel import BulkDelivery, BulkEntry, TopicDelivery
from .tracing import ZERO_TRACEPARENT

Metadata = list[tuple[str, str | bytes]]
VALUE_TYPE_URL = "type.googleapis.com/google.protobuf.Value"
PROTOBUF_CT = "application/x-protobuf"
SNIFFED_TEXT = "text/plain; charset=utf-8"  # what Go's server gives a text body without a type
# IANA's permanent request headers (Go canonical form lowercased): sent as ``dapr-<name>``
PERMANENT = frozenset({
    "accept", "accept-charset", "accept-language", "accept-ranges", "connection", "keep-alive",
    "proxy-connection", "transfer-encoding", "upgrade", "cache-control", "content-type",
    "content-length", "cookie", "date", "expect", "from", "host", "if-match", "if-modified-since",
    "if-none-match", "if-schedule-tag-match", "if-unmodified-since", "max-forwards", "origin",
    "pragma", "referer", "via", "warning",
})  # fmt: skip
# not sent as metadata: the trace context goes as it is, Go's gRPC client drops reserved keys
_NOT_SENT = frozenset({"destination-app-id", "user-agent", "te", "grpc-trace-bin"})
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    "http2-settings", "te", "trailer", "proxy-authorization", "proxy-authenticate",
})  # fmt: skip
_NOT_RETURNED = frozenset({"traceparent", "tracestate", "destination-app-id", "content-type"})
_NOT_EVENT_METADATA = frozenset({"content-type", "content-length", "traceparent", "tracestate"})
_CLOUD_EVENT_FIELDS = frozenset(
    {"id", "source", "datacontenttype", "type", "specversion", "data", "data_base64"}
)
_HTTP_STATUS = {0: 200, 1: 408, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429}
_HTTP_STATUS |= {9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401}
_KNOWN_DETAILS = error_details_pb2  # imported so status details of these types convert to JSON


def http_status(code: int) -> int:
    """grpc-gateway's ``HTTPStatusFromCode``, as daprd maps an app's gRPC status."""
    return _HTTP_STATUS.get(code, 500)


def _valid_value(value: str) -> bool:
    return all(0x20 <= ord(c) <= 0x7E for c in value)


def request_metadata(headers: Mapping[str, str]) -> Metadata:
    """An HTTP caller's headers as the app's gRPC metadata (``InternalMetadataToGrpcMetadata``
    with header conversion): permanent HTTP headers get the ``dapr-`` prefix."""
    out: Metadata = []
    for key, value in headers.items():
        name = key.lower()
        if name in _NOT_SENT or name.startswith("grpc-") or not _valid_value(value):
            continue
        if name in PERMANENT:
            name = "dapr-" + name
        if name.endswith("-bin"):
            try:
                out.append((name, base64.b64decode(value, validate=True)))
            except binascii.Error:
                continue
        else:
            out.append((name, value))
    return out


def invoke_request(
    verb: str, path: str, body: bytes, headers: Mapping[str, str], query: str
) -> common_pb2.InvokeRequest:
    """``OnInvoke``'s request for an HTTP call: an unknown verb is POST, as in daprd."""
    verbs = common_pb2.HTTPExtension.Verb
    name = verb.upper() if verb.upper() in verbs.keys() else "POST"  # noqa: SIM118 (not a dict)
    number = verbs.Value(name)
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return common_pb2.InvokeRequest(
        method=path,
        data=any_pb2.Any(value=body),
        content_type=content_type,
        http_extension=common_pb2.HTTPExtension(verb=number, querystring=query),
    )


def answer_headers(metadata: Iterable[tuple[str, str | bytes]]) -> list[tuple[str, str]]:
    """The app's response metadata as HTTP headers (``InternalMetadataToHTTPHeader``)."""
    out: list[tuple[str, str]] = []
    for key, value in metadata:
        name = key.lower()
        if name in _NOT_RETURNED or name in _HOP_BY_HOP or name == "content-length":
            continue
        if name.endswith("-bin") or not isinstance(value, str):
            continue
        if name.startswith("grpc-") or name in (":method", ":scheme", ":path", ":authority"):
            name = "dapr-" + name.lstrip(":")
        out.append((name, value))
    return out


def reply_answer(
    reply: common_pb2.InvokeResponse, metadata: Iterable[tuple[str, str | bytes]]
) -> httpx.Response:
    """A successful ``OnInvoke`` as the HTTP caller gets it: 200, the app's content type (the
    protobuf one for typed data) and data."""
    headers = answer_headers(metadata)
    data = reply.data.value
    content_type = PROTOBUF_CT if reply.data.type_url else reply.content_type
    if content_type or data:
        headers.insert(0, ("content-type", content_type or sniffed(data)))
    return httpx.Response(200, headers=headers, content=data)


def sniffed(data: bytes) -> str:
    """The content type Go's HTTP server gives a body written without one (``DetectContentType``,
    reduced to its text and binary verdicts: no HTML, XML, image or archive signatures)."""
    head = data[:512]
    binary = any(b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B) for b in head)
    return "application/octet-stream" if binary else SNIFFED_TEXT


def error_answer(
    code: int,
    message: str,
    trailers: Iterable[tuple[str, str | bytes]],
    metadata: Iterable[tuple[str, str | bytes]],
) -> httpx.Response:
    """A failed ``OnInvoke``: the HTTP status of the gRPC code, the status as protojson."""
    status = status_pb2.Status(code=code, message=message)
    rich = dict(trailers).get("grpc-status-details-bin")
    if isinstance(rich, bytes):
        status.details.extend(status_pb2.Status.FromString(rich).details)
    try:
        body = json.dumps(json_format.MessageToDict(status), separators=(",", ":"))
    except (json_format.Error, TypeError):
        status.ClearField("details")  # a detail of a type we do not know
        body = json.dumps(json_format.MessageToDict(status), separators=(",", ":"))
    headers = [("content-type", SNIFFED_TEXT), *answer_headers(metadata)]
    return httpx.Response(http_status(code), headers=headers, content=body.encode())


def event_metadata(metadata: Mapping[str, str], event: Mapping[str, Any]) -> Metadata:
    """Publish metadata as gRPC metadata (``WithCustomGRPCMetadata``): keys lowercased; an
    envelope's trace context as ``traceparent`` (all zero when it has none, as daprd's)."""
    out: Metadata = []
    if "traceparent" in event:  # an envelope; a raw payload carries no trace context
        out.append(("traceparent", str(event["traceparent"] or ZERO_TRACEPARENT)))
    if isinstance(event.get("tracestate"), str) and event["tracestate"]:
        out.append(("tracestate", event["tracestate"]))
    for key, value in metadata.items():
        name = key.lower()
        if name in _NOT_EVENT_METADATA or name.startswith("grpc-"):
            continue
        if _valid_value(value) and not name.endswith("-bin"):
            out.append((name, value))
    return out


def _text(event: Mapping[str, Any], name: str) -> str:
    value = event.get(name)
    return value if isinstance(value, str) else ""


def _event_data(event: Mapping[str, Any], content_type: str) -> bytes:
    """The event's data as daprd puts it in the envelope; ValueError when it cannot."""
    if event.get("data_base64") is not None:
        encoded = event["data_base64"]
        if not isinstance(encoded, str):
            raise ValueError("unexpected data in cloud event envelope")
        return base64.b64decode(encoded, validate=True)
    data = event.get("data")
    if data is None:
        return b""
    lower = content_type.lower()
    if lower.startswith("text/") or lower.split(";")[0].strip() == "application/xml":
        if not isinstance(data, str):
            raise ValueError("unexpected data in cloud event envelope")
        return data.encode()
    if "json" in lower.split(";")[0]:  # application/json, application/cloudevents+json, ...
        return gojson.dumpb(data)
    return b""


def topic_event_request(delivery: TopicDelivery) -> appcallback_pb2.TopicEventRequest:
    """``OnTopicEvent``'s envelope: the CloudEvent's fields, its data, the rest as extensions."""
    return appcallback_pb2.TopicEventRequest(
        **_cloud_event_fields(delivery.event),
        topic=delivery.topic,
        pubsub_name=delivery.metadata.get("pubsubName", delivery.pubsub),
        path=delivery.path,
    )


def bulk_event_request(delivery: BulkDelivery) -> appcallback_pb2.TopicEventBulkRequest:
    """``OnBulkTopicEvent``'s envelope: each entry's CloudEvent (or raw bytes) as daprd's
    ``FetchEntry`` makes it; ValueError when an event's data cannot be carried."""
    return appcallback_pb2.TopicEventBulkRequest(
        id=delivery.id,
        entries=[_bulk_entry(e) for e in delivery.entries],
        metadata=dict(delivery.metadata),
        topic=delivery.topic,
        pubsub_name=delivery.pubsub,
        type="com.dapr.event.sent.bulk",
        path=delivery.path,
    )


def _bulk_entry(entry: BulkEntry) -> appcallback_pb2.TopicEventBulkRequestEntry:
    """No ``content_type``: daprd sets the default only on the HTTP entry (its gRPC entry keeps
    the broker message's, which neither broker gives; recorded from daprd 1.18.3)."""
    out = appcallback_pb2.TopicEventBulkRequestEntry(
        entry_id=entry.entry_id, metadata=dict(entry.metadata)
    )
    if entry.cloud_event is None:
        out.bytes = entry.data
        return out
    out.cloud_event.CopyFrom(
        appcallback_pb2.TopicEventCERequest(**_cloud_event_fields(entry.cloud_event))
    )
    return out


def _cloud_event_fields(event: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudEvent as the gRPC envelopes carry it: its fields, its data, the rest as
    extensions (``TopicEventRequest`` and a bulk entry's ``TopicEventCERequest`` alike)."""
    content_type = _text(event, "datacontenttype")
    extensions = struct_pb2.Struct()
    extensions.update({k: v for k, v in event.items() if k not in _CLOUD_EVENT_FIELDS})
    return {
        "id": _text(event, "id"),
        "source": _text(event, "source"),
        "type": _text(event, "type"),
        "spec_version": _text(event, "specversion"),
        "data_content_type": content_type,
        "data": _event_data(event, content_type),
        "extensions": extensions,
    }


def subscriptions_json(
    reply: appcallback_pb2.ListTopicSubscriptionsResponse,
) -> list[dict[str, Any]]:
    """``ListTopicSubscriptions``'s answer in ``/dapr/subscribe``'s shape. gRPC's defaults are
    kept: with no rule and no default route, events go with an empty path."""
    return [_subscription_json(sub) for sub in reply.subscriptions]


def _subscription_json(sub: appcallback_pb2.TopicSubscription) -> dict[str, Any]:
    rules = [{"match": r.match, "path": r.path} for r in sub.routes.rules]
    if not rules and not sub.routes.default:
        rules = [{"path": ""}]
    out: dict[str, Any] = {"pubsubname": sub.pubsub_name, "topic": sub.topic}
    out["metadata"] = dict(sub.metadata)
    out["routes"] = {"rules": rules, "default": sub.routes.default}
    out["deadLetterTopic"] = sub.dead_letter_topic
    bulk = sub.bulk_subscribe
    out["bulkSubscribe"] = {
        "enabled": bulk.enabled,
        "maxMessagesCount": bulk.max_messages_count,
        "maxAwaitDurationMs": bulk.max_await_duration_ms,
    }
    return out


def job_event_request(
    name: str, data: str | None, data_type: str | None = None
) -> appcallback_pb2.JobEventRequest:
    """The trigger of job ``name``; its data (stored as JSON) as ``Any(google.protobuf.Value)``,
    as daprd stores what the HTTP API was given; data scheduled over gRPC as an ``Any`` of type
    ``data_type`` (stored base64) goes as that Any; no data, no ``data`` field."""
    post = common_pb2.HTTPExtension(verb=common_pb2.HTTPExtension.Verb.Value("POST"))
    request = appcallback_pb2.JobEventRequest(name=name, method=f"job/{name}", http_extension=post)
    if data is not None and data_type is not None:
        request.data.CopyFrom(any_pb2.Any(type_url=data_type, value=base64.b64decode(data)))
        request.content_type = data_type
    elif data is not None:
        value = json_format.Parse(data, struct_pb2.Value())
        request.data.CopyFrom(any_pb2.Any(type_url=VALUE_TYPE_URL, value=value.SerializeToString()))
        request.content_type = VALUE_TYPE_URL
    return request
