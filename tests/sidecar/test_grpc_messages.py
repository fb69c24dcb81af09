"""The gRPC app channel's messages (daprd's mappings between an HTTP caller and a gRPC app), and
the channel's behaviour with an unhealthy app."""

from __future__ import annotations

import json

import pytest
from dapr.proto.runtime.v1 import appcallback_pb2
from google.protobuf import struct_pb2

from sidecar import _grpc_messages as messages
from sidecar._grpc_channel import GrpcAppChannel
from sidecar.app_channel import AppChannelError, AppRequest, AppTarget, EventOutcome, TopicDelivery


@pytest.mark.parametrize(
    ("code", "status"),
    [(0, 200), (1, 408), (2, 500), (3, 400), (4, 504), (5, 404), (6, 409), (7, 403), (8, 429),
     (9, 400), (10, 409), (11, 400), (12, 501), (13, 500), (14, 503), (15, 500), (16, 401),
     (99, 500)],
)  # fmt: skip
def test_grpc_codes_map_to_http_statuses_as_in_grpc_gateway(code: int, status: int) -> None:
    assert messages.http_status(code) == status


def test_caller_headers_become_metadata_with_the_dapr_prefix_for_permanent_ones() -> None:
    headers = {
        "Content-Type": "text/plain",
        "Accept": "*/*",
        "X-Custom": "c",
        "User-Agent": "curl/8",  # dropped, as Go's gRPC client does
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "key-bin": "AAE=",
        "grpc-timeout": "1S",
    }
    assert messages.request_metadata(headers) == [
        ("dapr-content-type", "text/plain"),
        ("dapr-accept", "*/*"),
        ("x-custom", "c"),
        ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("key-bin", b"\x00\x01"),
    ]


def test_an_unknown_verb_is_post_and_the_query_goes_as_it_is() -> None:
    request = messages.invoke_request("PROPFIND", "a/b", b"x", {"content-type": "t/x"}, "q=1")
    assert (request.method, request.content_type, request.data.value) == ("a/b", "t/x", b"x")
    assert (request.http_extension.verb, request.http_extension.querystring) == (3, "q=1")


def test_reply_metadata_becomes_headers_as_daprd_writes_them() -> None:
    metadata = [("content-type", "application/grpc"), ("x-app", "grpc"), ("grpc-status", "0")]
    metadata += [("connection", "close"), ("raw-bin", b"\x00"), ("tracestate", "k=v")]
    assert messages.answer_headers(metadata) == [("x-app", "grpc"), ("dapr-grpc-status", "0")]


def test_a_failed_call_answers_its_status_as_protojson() -> None:
    answer = messages.error_answer(12, "no such method", (), ())
    assert answer.status_code == 501
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.content == b'{"code":12,"message":"no such method"}'


def _delivery(event: dict[str, object]) -> TopicDelivery:
    return TopicDelivery("ps", "t", "/r", event, b"", {"pubsubName": "ps"})


@pytest.mark.parametrize(
    ("content_type", "data", "expected"),
    [("application/json", {"b": 1, "a": "<"}, b'{"a":"\\u003c","b":1}'),
     ("text/plain", "hi", b"hi"),
     ("application/octet-stream", "ignored", b"")],
)  # fmt: skip
def test_topic_event_data_by_content_type(content_type: str, data: object, expected: bytes) -> None:
    event = {"id": "1", "datacontenttype": content_type, "data": data, "topic": "t", "x": 1}
    request = messages.topic_event_request(_delivery(event))
    assert request.data == expected
    assert (request.id, request.topic, request.pubsub_name, request.path) == ("1", "t", "ps", "/r")
    assert dict(request.extensions) == {"topic": "t", "x": 1.0}


def test_base64_data_is_decoded_and_bad_base64_is_an_error() -> None:
    event = {"datacontenttype": "application/octet-stream", "data_base64": "AAE="}
    assert messages.topic_event_request(_delivery(event)).data == b"\x00\x01"
    with pytest.raises(ValueError):
        messages.topic_event_request(_delivery({"data_base64": "***"}))


def test_subscriptions_keep_grpcs_empty_default_route() -> None:
    reply = appcallback_pb2.ListTopicSubscriptionsResponse(
        subscriptions=[
            appcallback_pb2.TopicSubscription(pubsub_name="ps", topic="a"),
            appcallback_pb2.TopicSubscription(
                pubsub_name="ps",
                topic="b",
                routes=appcallback_pb2.TopicRoutes(
                    rules=[appcallback_pb2.TopicRule(match='event.type == "x"', path="/x")],
                    default="/d",
                ),
                dead_letter_topic="dl",
            ),
        ]
    )
    a, b = messages.subscriptions_json(reply)
    assert a["routes"] == {"rules": [{"path": ""}], "default": ""}
    assert b["routes"] == {"rules": [{"match": 'event.type == "x"', "path": "/x"}], "default": "/d"}
    assert b["deadLetterTopic"] == "dl"


def test_job_data_goes_as_a_protobuf_value() -> None:
    request = messages.job_event_request("j", json.dumps({"a": [1, "x"]}))
    assert (request.name, request.method, request.content_type) == (
        "j",
        "job/j",
        messages.VALUE_TYPE_URL,
    )
    value = struct_pb2.Value.FromString(request.data.value)
    assert list(value.struct_value["a"]) == [1.0, "x"]
    assert not messages.job_event_request("j", None).HasField("data")


def test_an_envelopes_trace_context_goes_as_metadata() -> None:
    md = {"pubsubName": "ps", "Custom": "v", "traceparent": "ignored", "content-type": "x"}
    assert messages.event_metadata(md, {"traceparent": "", "tracestate": ""}) == [
        ("traceparent", "00-00000000000000000000000000000000-0000000000000000-00"),
        ("pubsubname", "ps"),
        ("custom", "v"),
    ]
    assert messages.event_metadata({}, {"traceparent": "tp", "tracestate": "k=v"}) == [
        ("traceparent", "tp"),
        ("tracestate", "k=v"),
    ]
    assert messages.event_metadata({}, {}) == []  # a raw payload has no trace context


async def test_an_unhealthy_grpc_app_gets_no_call() -> None:
    channel = GrpcAppChannel(AppTarget("127.0.0.1", 1, "a"), max_message=1024)
    channel.healthy = False
    with pytest.raises(AppChannelError, match="app is not in a healthy state"):
        await channel.invoke(AppRequest("GET", "m"))
    assert await channel.trigger_job("j", None) is False
    delivery = TopicDelivery("ps", "t", "", {"id": "1"}, b"", {})
    assert await channel.deliver_event(delivery) is EventOutcome.RETRY
    with pytest.raises(AppChannelError, match="HTTP app channel"):
        await channel.call_actor(AppRequest("PUT", "actors/T/1/method/m"))
    assert await channel.actor_config() is None
    await channel.aclose()
