"""The in-memory broker: a hung subscriber never blocks publishers; its queue is bounded."""

from __future__ import annotations

import asyncio

import pytest

from sidecar.pubsub import _broker
from sidecar.pubsub._broker import BrokerFullError, InMemoryBroker, Message


def _msg(n: int, topic: str = "t") -> Message:
    return Message(topic, str(n).encode(), {})


async def test_hung_subscriber_does_not_block_later_publishes() -> None:
    broker = InMemoryBroker()
    release = asyncio.Event()
    got: list[bytes] = []

    async def hung(message: Message) -> None:
        got.append(message.data)
        await release.wait()

    await broker.subscribe("t", hung)
    async with asyncio.timeout(5):
        for n in range(3):
            await broker.publish(_msg(n))  # returned at once though the first delivery hangs
    release.set()
    async with asyncio.timeout(5):
        await broker.drain()
    assert got == [b"0", b"1", b"2"]  # in publish order, one at a time
    await broker.close()


async def test_full_queue_refuses_the_message_for_every_subscriber(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_broker, "MAX_PENDING", 2)
    broker = InMemoryBroker()
    release = asyncio.Event()
    fast: list[bytes] = []

    async def hung(message: Message) -> None:
        await release.wait()

    async def quick(message: Message) -> None:
        fast.append(message.data)

    await broker.subscribe("t", hung)
    await broker.subscribe("t", quick)
    await broker.publish(_msg(0))
    await broker.publish(_msg(1))
    with pytest.raises(BrokerFullError, match="2 messages are already waiting"):
        await broker.publish(_msg(2))
    release.set()
    await broker.drain()
    assert fast == [b"0", b"1"]
    await broker.close()


async def test_unsubscribed_topic_is_discarded_and_closed_broker_refuses() -> None:
    broker = InMemoryBroker()
    await broker.publish(_msg(3, topic="nobody"))
    await broker.close()
    with pytest.raises(Exception, match="component is closed"):
        await broker.publish(_msg(4))
