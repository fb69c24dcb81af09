"""Bulk subscriptions over HTTP: the envelope daprd 1.18.3 posts, per-entry outcomes."""

from __future__ import annotations

import json
import uuid
from typing import Any

from .conftest import Delivery, Harness, HarnessFactory

BULK = {"enabled": True, "maxMessagesCount": 3, "maxAwaitDurationMs": 10}
SUB = [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders", "bulkSubscribe": BULK}]
DLQ_SUBS = [
    {**SUB[0], "deadLetterTopic": "dlq"},
    {"pubsubname": "pubsub", "topic": "dlq", "route": "/dead"},
]
DECLARATIVE = """apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: decl
spec:
  pubsubname: pubsub
  topic: orders
  routes:
    default: /declared
  bulkSubscribe:
    enabled: true
    maxAwaitDurationMs: 10
"""


def _is_uuid(text: str) -> bool:
    return str(uuid.UUID(text)) == text


def _answer_by_data(body: bytes) -> tuple[int, bytes]:
    """SUCCESS/RETRY/DROP as the event's data says; "none" gets no status at all."""
    entries = json.loads(body)["entries"]
    statuses = [
        {"entryId": e["entryId"], "status": e["event"]["data"].upper()}
        for e in entries
        if e["event"]["data"] != "none"
    ]
    return 200, json.dumps({"statuses": statuses}).encode()


async def _collect(h: Harness, count: int) -> list[Delivery]:
    got = [await h.app.next() for _ in range(count)]
    await h.runtime.drain()
    assert h.app.deliveries.empty()
    return got


async def test_envelope_shape(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB)
    await h.publish("/v1.0/publish/pubsub/orders?metadata.k=v", '{"a":1}', headers=_JSON)
    got = await h.app.next()
    assert got.path == "/orders"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["pubsubname"] == "pubsub"
    body: dict[str, Any] = got.json()
    assert list(body) == ["entries", "id", "metadata", "pubsubname", "topic", "type"]
    assert body["type"] == "com.dapr.event.sent.bulk"
    assert (body["pubsubname"], body["topic"]) == ("pubsub", "orders")
    assert body["metadata"] == {"pubsubName": "pubsub"}
    assert _is_uuid(body["id"])
    [entry] = body["entries"]
    assert list(entry) == ["entryId", "event", "metadata", "contentType"]
    assert _is_uuid(entry["entryId"]) and entry["entryId"] != body["id"]
    assert entry["contentType"] == "application/cloudevents+json"
    assert entry["metadata"] == {"k": "v"}
    assert entry["event"]["data"] == {"a": 1}
    assert entry["event"]["topic"] == "orders"
    assert entry["event"]["pubsubname"] == "pubsub"


async def test_one_entry_per_envelope_on_in_memory(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB)
    for text in ("one", "two", "three"):
        await h.publish("/v1.0/publish/pubsub/orders", text)
    got = await _collect(h, 3)
    assert [[e["event"]["data"] for e in d.json()["entries"]] for d in got] == [
        ["one"],
        ["two"],
        ["three"],
    ]


async def test_per_entry_outcomes(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=DLQ_SUBS, responses={"/orders": _answer_by_data})
    for text in ("success", "retry", "drop", "none", "unknown"):
        await h.publish("/v1.0/publish/pubsub/orders", text)
    got = await _collect(h, 9)
    dead = sorted(json.loads(d.body)["data"] for d in got if d.path == "/dead")
    assert dead == ["drop", "none", "retry", "unknown"]  # SUCCESS is the only one kept
    assert sum(d.path == "/orders" for d in got) == 5


async def test_not_found_ends_every_entry(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=DLQ_SUBS, responses={"/orders": (404, b"")})
    await h.publish("/v1.0/publish/pubsub/orders", "x")
    [got] = await _collect(h, 1)  # not dead-lettered, unlike a single event's 404
    assert got.path == "/orders"


async def test_failed_call_retries_every_entry(harness: HarnessFactory) -> None:
    for status, body in ((500, b"boom"), (200, b"not json"), (200, b'{"statuses":1}')):
        h = await harness(subscriptions=DLQ_SUBS, responses={"/orders": (status, body)})
        await h.publish("/v1.0/publish/pubsub/orders", "x")
        got = await _collect(h, 2)
        assert sorted(d.path for d in got) == ["/dead", "/orders"], (status, body)
        await h.sidecar.stop()


async def test_declarative_bulk_subscription(harness: HarnessFactory) -> None:
    h = await harness(extra_yaml=DECLARATIVE)
    await h.publish("/v1.0/publish/pubsub/orders", "x")
    got = await h.app.next()
    assert got.path == "/declared"
    assert got.json()["entries"][0]["event"]["data"] == "x"


_JSON = {"content-type": "application/json"}
