"""Batching of a bulk subscription (daprd's default bulk subscriber), with a recording channel."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from sidecar.app_channel import AppChannel, BulkDelivery, EventOutcome
from sidecar.clock import ManualClock
from sidecar.pubsub._broker import Message
from sidecar.pubsub._bulk_subscribe import BulkDeliverer
from sidecar.pubsub._subscriptions import (
    BulkConfig,
    Rule,
    SubscriptionKind,
    TopicSubscription,
    bulk_config,
)

TIMEOUT = 5.0


class RecordingChannel:
    """Records each envelope and answers SUCCESS for every entry."""

    def __init__(self) -> None:
        self.envelopes: asyncio.Queue[BulkDelivery] = asyncio.Queue()

    async def deliver_bulk(self, delivery: BulkDelivery) -> dict[str, EventOutcome]:
        self.envelopes.put_nowait(delivery)
        return {e.entry_id: EventOutcome.SUCCESS for e in delivery.entries}


def _deliverer(config: BulkConfig) -> tuple[BulkDeliverer, RecordingChannel]:
    sub = TopicSubscription(
        "pubsub", "t", (Rule("/t"),), SubscriptionKind.PROGRAMMATIC, bulk=config
    )
    channel = RecordingChannel()

    async def no_dead_letter(*_: Any) -> None:
        raise AssertionError("nothing is dead-lettered here")

    return BulkDeliverer(sub, cast(AppChannel, channel), ManualClock(0), no_dead_letter), channel


def _message(n: int) -> Message:
    return Message("t", json.dumps({"id": str(n), "data": n}).encode(), {})


async def test_concurrent_messages_fill_one_envelope_up_to_the_count() -> None:
    # a window far longer than the test: only the count can flush the first three
    deliverer, channel = _deliverer(BulkConfig(max_messages=3, max_await_ms=600_000))
    calls = [asyncio.create_task(deliverer(_message(n))) for n in range(3)]
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(*calls)
        envelope = await channel.envelopes.get()
    assert [e.event["data"] for e in envelope.entries] == [0, 1, 2]
    assert envelope.path == "/t" and envelope.metadata == {"pubsubName": "pubsub"}
    await deliverer.aclose()


async def test_a_partial_batch_goes_when_the_window_ends() -> None:
    deliverer, channel = _deliverer(BulkConfig(max_messages=100, max_await_ms=1))
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(deliverer(_message(1)), deliverer(_message(2)))
    sizes = []
    while not channel.envelopes.empty():
        sizes.append(len(channel.envelopes.get_nowait().entries))
    assert sum(sizes) == 2
    await deliverer.aclose()


def test_bulk_config_defaults_as_daprd() -> None:
    assert bulk_config({"enabled": True}) == BulkConfig(100, 1000)
    assert bulk_config({"enabled": True, "maxMessagesCount": 0}) == BulkConfig(100, 1000)
    assert bulk_config({"ENABLED": True, "maxmessagescount": 5}) == BulkConfig(5, 1000)
    assert bulk_config({"enabled": False}) is None
    assert bulk_config(None) is None
