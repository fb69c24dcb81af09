"""Delivery to the app: status mapping, dead-letter topic, expiry, declarative subscriptions."""

from __future__ import annotations

import asyncio
import json

from sidecar.pubsub._envelope import rfc3339_utc

from .conftest import START, Harness, HarnessFactory

SUB = [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]


async def _dead_lettered(h: Harness, route: str) -> bytes:
    await h.publish("/v1.0/publish/pubsub/orders", "payload")
    first = await h.app.next()
    assert first.path == route
    dead = await h.app.next()
    assert dead.path == "/dead"
    assert dead.body == first.body  # the original bytes, topic still the original one
    assert json.loads(dead.body)["topic"] == "orders"
    return dead.body


DLQ_SUBS = [
    {"pubsubname": "pubsub", "topic": "orders", "route": "/orders", "deadLetterTopic": "dlq"},
    {"pubsubname": "pubsub", "topic": "dlq", "route": "/dead"},
]


async def test_status_mapping_to_dead_letter(harness: HarnessFactory) -> None:
    for status, body in (
        (200, b'{"status":"RETRY"}'),
        (200, b'{"status":"DROP"}'),
        (404, b""),
        (500, b"boom"),
        (200, b'{"status":"success"}'),
    ):
        h = await harness(subscriptions=DLQ_SUBS, responses={"/orders": (status, body)})
        await _dead_lettered(h, "/orders")
        await h.sidecar.stop()


async def test_success_answers_do_not_dead_letter(harness: HarnessFactory) -> None:
    for body in (b'{"status":"SUCCESS"}', b"", b"null", b"not json", b'{"other":1}'):
        h = await harness(subscriptions=DLQ_SUBS, responses={"/orders": (200, body)})
        await h.publish("/v1.0/publish/pubsub/orders", "payload")
        assert (await h.app.next()).path == "/orders"
        await h.runtime.drain()
        assert h.app.deliveries.empty(), body
        await h.sidecar.stop()


async def test_retry_without_dead_letter_is_lost(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB, responses={"/orders": (200, b'{"status":"RETRY"}')})
    await h.publish("/v1.0/publish/pubsub/orders", "one")
    assert (await h.app.next()).json()["data"] == "one"
    await h.runtime.drain()
    assert h.app.deliveries.empty()  # in-memory never redelivers


async def test_expired_event_is_dropped_everywhere(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=DLQ_SUBS)
    gate = h.app.gates["/orders"] = asyncio.Event()
    await h.publish("/v1.0/publish/pubsub/orders", "first")
    assert (await h.app.next()).json()["data"] == "first"
    expired = {"id": "old", "data": "second", "expiration": rfc3339_utc(START + 10)}
    second = asyncio.create_task(
        h.publish(
            "/v1.0/publish/pubsub/orders",
            json.dumps(expired),
            headers={"content-type": "application/cloudevents+json"},
        )
    )
    h.clock.advance(60)
    gate.set()
    assert (await asyncio.wait_for(second, 5)).status_code == 204
    await h.runtime.drain()  # dead-lettered, and the dead-letter subscriber drops it as expired
    assert h.app.deliveries.empty()
    await h.publish("/v1.0/publish/pubsub/orders", "third")
    assert (await h.app.next()).json()["data"] == "third"


DECLARATIVE = """apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: decl
spec:
  pubsubname: pubsub
  topic: {topic}
  routes:
    default: /declared
"""


async def test_declarative_and_programmatic_override(harness: HarnessFactory) -> None:
    extra = DECLARATIVE.format(topic="d") + "---\n" + DECLARATIVE.format(topic="orders")
    h = await harness(subscriptions=SUB, extra_yaml=extra)
    await h.publish("/v1.0/publish/pubsub/d", "x")
    assert (await h.app.next()).path == "/declared"
    await h.publish("/v1.0/publish/pubsub/orders", "x")
    assert (await h.app.next()).path == "/orders"
    meta = (await h.client.get("/v1.0/metadata")).json()
    assert [(s["topic"], s["type"]) for s in meta["subscriptions"]] == [
        ("d", "DECLARATIVE"),
        ("orders", "PROGRAMMATIC"),
    ]


async def test_wildcard_subscription(harness: HarnessFactory) -> None:
    h = await harness(
        subscriptions=[{"pubsubname": "pubsub", "topic": "orders/*", "route": "/all"}]
    )
    await h.publish("/v1.0/publish/pubsub/orders", "no")
    await h.publish("/v1.0/publish/pubsub/orders/eu", "yes")
    got = await h.app.next()
    assert got.json()["topic"] == "orders/eu"
    await h.runtime.drain()
    assert h.app.deliveries.empty()
