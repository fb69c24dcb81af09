"""Publish through the sidecar's HTTP API and check what the app receives (daprd §5.1, §5.3)."""

from __future__ import annotations

import base64
import json
from typing import Any

from sidecar.pubsub._envelope import rfc3339_local, rfc3339_utc

from .conftest import START, HarnessFactory

SUB = [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]


def _kit(code: str, reason: str, message: str, metadata: Any, resource: str | None) -> Any:
    details = []
    if resource is not None:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.ResourceInfo",
                "description": message,
                "owner": "",
                "resource_name": resource,
                "resource_type": "pubsub",
            }
        )
    details.append(
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "domain": "dapr.io",
            "metadata": metadata,
            "reason": reason,
        }
    )
    return {"errorCode": code, "message": message, "details": details}


async def test_json_publish_delivers_envelope(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB)
    resp = await h.publish(
        "/v1.0/publish/pubsub/orders",
        b'{"b": 1.50, "a": "<x>"}',
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 204
    got = await h.app.next()
    assert got.path == "/orders"
    assert got.headers["content-type"] == "application/cloudevents+json"
    assert got.headers["pubsubname"] == "pubsub"
    event = got.json()
    assert set(event) == {
        "id",
        "specversion",
        "datacontenttype",
        "source",
        "type",
        "topic",
        "pubsubname",
        "traceid",
        "traceparent",
        "tracestate",
        "time",
        "data",
    }
    assert event["data"] == {"a": "<x>", "b": 1.5}
    assert event["source"] == "a" and event["type"] == "com.dapr.event.sent"
    assert event["topic"] == "orders" and event["datacontenttype"] == "application/json"
    assert event["traceid"] == event["traceparent"] and event["tracestate"] == ""
    assert event["time"] == rfc3339_local(START)
    assert list(event) == sorted(event)  # Go sorts map keys
    assert b'"data":{"a":"\\u003cx\\u003e","b":1.50}' in got.body  # number text kept


async def test_content_types_and_incoming_trace(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB)
    trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await h.publish(
        "/v1.0/publish/pubsub/orders",
        "hi",
        headers={"content-type": "", "traceparent": trace, "tracestate": "k=v"},
    )
    await h.publish(
        "/v1.0/publish/pubsub/orders",
        b"\x00\x01",
        headers={"content-type": "application/octet-stream"},
    )
    await h.publish(
        "/v1.0/publish/pubsub/orders",
        '{"x":1}',
        headers={"content-type": "application/vnd.api+json"},
    )
    text, binary, suffixed = [(await h.app.next()).json() for _ in range(3)]
    assert (text["datacontenttype"], text["data"]) == ("text/plain", "hi")
    assert (text["traceparent"], text["tracestate"]) == (trace, "k=v")
    assert binary["data_base64"] == base64.b64encode(b"\x00\x01").decode()
    assert "data" not in binary
    assert suffixed["data"] == '{"x":1}'  # +json is not JSON for daprd


async def test_cloudevent_passthrough_and_overrides(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB)
    ce = {"id": "e1", "type": "my.type", "topic": "other", "ext": 5, "data": {"k": "v"}}
    await h.publish(
        "/v1.0/publish/pubsub/orders",
        json.dumps(ce),
        headers={"content-type": "application/cloudevents+json"},
    )
    kept = (await h.app.next()).json()
    assert kept["id"] == "e1" and kept["type"] == "my.type" and kept["ext"] == 5
    assert kept["topic"] == "orders" and kept["pubsubname"] == "pubsub"
    assert kept["source"] == "Dapr" and kept["specversion"] == "1.0"
    query = (
        "metadata.cloudevent.id=my-id&metadata.cloudevent.type=t&metadata.cloudevent.subject=s"
        "&metadata.cloudevent.source=src&metadata.ttlInSeconds=30"
    )
    await h.publish(f"/v1.0/publish/pubsub/orders?{query}", "x")
    got = await h.app.next()
    event = got.json()
    assert (event["id"], event["type"], event["subject"], event["source"]) == (
        "my-id",
        "t",
        "s",
        "src",
    )
    assert event["expiration"] == rfc3339_utc(START + 30)
    assert got.headers["ttlinseconds"] == "30"  # publish metadata travels as headers


async def test_raw_payload_publish_and_raw_subscription(harness: HarnessFactory) -> None:
    subs = [
        *SUB,
        {
            "pubsubname": "pubsub",
            "topic": "raw",
            "route": "/raw",
            "metadata": {"rawPayload": "true"},
        },
    ]
    h = await harness(subscriptions=subs)
    await h.publish("/v1.0/publish/pubsub/orders?metadata.rawPayload=true", b'{"as":"is"}')
    assert (await h.app.next()).body == b'{"as":"is"}'
    await h.publish("/v1.0/publish/pubsub/raw?metadata.rawPayload=true", b"\xffbytes")
    event = (await h.app.next()).json()
    assert event["datacontenttype"] == "application/octet-stream"
    assert base64.b64decode(event["data_base64"]) == b"\xffbytes"
    assert (event["source"], event["topic"], event["pubsubname"]) == ("Dapr", "raw", "pubsub")


async def test_put_topic_with_slashes_and_no_subscriber(harness: HarnessFactory) -> None:
    subs = [{"pubsubname": "pubsub", "topic": "a/b c", "route": "/ab"}]
    h = await harness(subscriptions=subs)
    assert (await h.client.put("/v1.0/publish/pubsub/nobody", content="x")).status_code == 204
    assert (await h.client.put("/v1.0/publish/pubsub/a/b+c", content="x")).status_code == 204
    assert (await h.app.next()).json()["topic"] == "a/b c"
    await h.runtime.drain()
    assert h.app.deliveries.empty()


async def test_publish_errors(harness: HarnessFactory) -> None:
    h = await harness(components=[("pubsub", "[]"), ("scoped", SCOPES)])
    resp = await h.publish("/v1.0/publish/nope/t?metadata.k=v", "x")
    assert (resp.status_code, resp.json()) == (
        404,
        _kit(
            "ERR_PUBSUB_NOT_FOUND",
            "DAPR_PUBSUB_NOT_FOUND",
            "pubsub nope is not found",
            {"k": "v"},
            None,
        ),
    )
    resp = await h.publish("/v1.0/publish/pubsub/", "x")
    assert (resp.status_code, resp.json()) == (
        404,
        _kit(
            "ERR_TOPIC_NAME_EMPTY",
            "DAPR_PUBSUB_TOPIC_NAME_EMPTY",
            "topic is empty in pubsub pubsub",
            {},
            "pubsub",
        ),
    )
    resp = await h.publish("/v1.0/publish/pubsub/t?metadata.rawPayload=maybe", "x")
    message = (
        "failed deserializing metadata. Error: rawPayload value must be a valid boolean: "
        "actual is 'maybe'"
    )
    assert (resp.status_code, resp.json()) == (
        400,
        _kit(
            "ERR_PUBSUB_REQUEST_METADATA",
            "DAPR_PUBSUB_METADATA_DESERIALIZATION",
            message,
            {"rawPayload": "maybe"},
            "pubsub",
        ),
    )
    resp = await h.publish(
        "/v1.0/publish/pubsub/t",
        "{not json",
        headers={"content-type": "application/cloudevents+json"},
    )
    assert resp.status_code == 500
    assert resp.json()["errorCode"] == "ERR_PUBSUB_CLOUD_EVENTS_SER"
    assert resp.json()["message"] == "cannot create cloudevent"
    resp = await h.publish("/v1.0/publish/scoped/secret", "x")
    message = "topic secret is not allowed for app id a"
    assert (resp.status_code, resp.json()) == (
        403,
        _kit(
            "ERR_PUBSUB_FORBIDDEN",
            "DAPR_PUBSUB_FORBIDDEN",
            message,
            {"error": message, "topic": "secret"},
            "scoped",
        ),
    )
    assert (await h.publish("/v1.0/publish/scoped/open", "x")).status_code == 204


SCOPES = """
  - name: publishingScopes
    value: "a=open;b=secret"
"""


async def test_no_pubsub_component(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB, components=[])
    assert h.app.subscribe_headers == []  # /dapr/subscribe only when a pubsub is loaded
    resp = await h.publish("/v1.0/publish/pubsub/orders", "x")
    assert resp.status_code == 404 and resp.json()["errorCode"] == "ERR_PUBSUB_NOT_FOUND"


async def test_subscribe_call_and_metadata(harness: HarnessFactory) -> None:
    subs = [
        {
            "pubsubname": "pubsub",
            "topic": "orders",
            "deadLetterTopic": "dlq",
            "routes": {"rules": [{"match": 'event.type == "x"', "path": "/x"}], "default": "/d"},
        }
    ]
    h = await harness(subscriptions=subs)
    assert h.app.subscribe_headers[0]["dapr-app-id"] == "a"
    meta = (await h.client.get("/v1.0/metadata")).json()
    assert {
        "name": "pubsub",
        "type": "pubsub.in-memory",
        "version": "v1",
        "capabilities": ["SUBSCRIBE_WILDCARDS"],
    } in meta["components"]
    assert meta["subscriptions"] == [
        {
            "pubsubname": "pubsub",
            "topic": "orders",
            "rules": [{"match": 'event.type == "x"', "path": "/x"}, {"path": "/d"}],
            "deadLetterTopic": "dlq",
            "type": "PROGRAMMATIC",
        }
    ]


async def test_routing_rules(harness: HarnessFactory) -> None:
    rules = [
        {"match": "event.type == \"x\" && event.data.kind == 'big'", "path": "/big"},
        {"match": 'event.type == "x"', "path": "/x"},
    ]
    subs = [
        {"pubsubname": "pubsub", "topic": "t", "routes": {"rules": rules}},
        {"pubsubname": "pubsub", "topic": "u", "routes": {"rules": rules, "default": "/d"}},
    ]
    h = await harness(subscriptions=subs)
    json_ct = {"content-type": "application/json"}
    await h.publish(
        "/v1.0/publish/pubsub/t?metadata.cloudevent.type=x", '{"kind":"big"}', headers=json_ct
    )
    assert (await h.app.next()).path == "/big"
    await h.publish(
        "/v1.0/publish/pubsub/t?metadata.cloudevent.type=x", '{"kind":"small"}', headers=json_ct
    )
    assert (await h.app.next()).path == "/x"
    await h.publish("/v1.0/publish/pubsub/t?metadata.cloudevent.type=y", "plain")  # no match
    await h.publish("/v1.0/publish/pubsub/u?metadata.cloudevent.type=y", "plain")
    assert (await h.app.next()).path == "/d"
    await h.runtime.drain()
    assert h.app.deliveries.empty()


async def test_lone_surrogate_in_a_string_is_delivered_as_replacement_char(
    harness: HarnessFactory,
) -> None:
    """Go writes invalid UTF-16 (a lone surrogate escape) as U+FFFD; it is no server error."""
    h = await harness(subscriptions=SUB)
    resp = await h.publish(
        "/v1.0/publish/pubsub/orders",
        b'{"note": "x\\ud800y <&>"}',
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 204
    got = await h.app.next()
    assert b'"x\xef\xbf\xbdy \\u003c\\u0026\\u003e"' in got.body
    assert got.json()["data"] == {"note": "x\ufffdy <&>"}
