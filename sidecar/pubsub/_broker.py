"""The ``pubsub.in-memory`` broker (contrib ``pubsub/in-memory`` + ``common/eventbus``).

One broker per component per sidecar; nothing is persisted or shared between sidecars. A message
published to a topic nobody subscribes to is discarded. Each subscription receives its messages
one at a time, in publish order; ``publish`` queues the message for every matching subscriber and
returns at once, so a subscriber that hangs holds up only its own queue, never the publisher (as
contrib's event bus hands each message to a goroutine that waits for the subscriber's lock). A
queue holds at most ``MAX_PENDING`` messages; past that ``publish`` raises BrokerFullError and
queues nothing (a documented bound: contrib's queue grows without one). A failed delivery is only
logged; nothing is redelivered. Subscription topics ending in ``*``
match every topic with that prefix (but not the prefix itself).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    topic: str
    data: bytes
    metadata: dict[str, str]


Handler = Callable[[Message], Awaitable[None]]


MAX_PENDING = 10_000  # messages waiting per subscriber


class BrokerError(Exception):
    """A publish the broker refused or could not complete; the message says why."""


class BrokerClosedError(BrokerError):
    def __init__(self) -> None:
        super().__init__("component is closed")


class BrokerFullError(BrokerError):
    def __init__(self, topic: str) -> None:
        super().__init__(
            f"{MAX_PENDING} messages are already waiting for a subscriber of topic {topic!r}"
        )


@dataclass(eq=False)
class _Subscriber:
    topic: str
    handler: Handler
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0  # queued or being delivered

    def wants(self, topic: str) -> bool:
        if self.topic == topic:
            return True
        prefix = self.topic[:-1]
        return self.topic.endswith("*") and topic.startswith(prefix) and topic != prefix


class Broker(ABC):
    """One pub/sub component's message transport, used by the runtime as follows.

    ``open()`` connects (raising ``BrokerError`` when it cannot); ``subscribe(topic, handler)``
    starts delivering the topic's messages to ``handler``, which returns once the message is dealt
    with (delivered, dead-lettered or given up): a durable broker acknowledges it then, and
    redelivers what was never acknowledged. ``publish`` returns once the broker holds the message
    (raising ``BrokerError``); ``drain`` waits for the deliveries already started; ``close`` stops
    delivering and releases the connection.
    """

    #: the feature names daprd lists for the component in its metadata
    capabilities: tuple[str, ...] = ()

    @abstractmethod
    async def open(self) -> None:
        """Connect; a broker with nothing to connect to does nothing."""

    @abstractmethod
    async def subscribe(self, topic: str, handler: Handler) -> None: ...

    @abstractmethod
    async def unsubscribe(self, handler: Handler) -> None:
        """No more messages for ``handler`` (one already being delivered still finishes)."""

    @abstractmethod
    async def publish(self, message: Message) -> None: ...

    @abstractmethod
    async def drain(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...


class InMemoryBroker(Broker):
    """Topic fan-out with serial, in-order delivery per subscriber and no redelivery."""

    capabilities = ("SUBSCRIBE_WILDCARDS",)

    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def open(self) -> None:
        return None

    async def subscribe(self, topic: str, handler: Handler) -> None:
        self._subscribers.append(_Subscriber(topic, handler))

    async def unsubscribe(self, handler: Handler) -> None:
        """No more messages for ``handler`` (those already queued for it are still handed over)."""
        self._subscribers = [s for s in self._subscribers if s.handler is not handler]

    async def publish(self, message: Message) -> None:
        """Hand ``message`` to every matching subscriber; raises BrokerClosedError after close."""
        if self._closed:
            raise BrokerClosedError()
        subs = [s for s in self._subscribers if s.wants(message.topic)]
        if any(s.pending >= MAX_PENDING for s in subs):
            raise BrokerFullError(message.topic)
        for sub in subs:
            sub.pending += 1
            task = asyncio.create_task(self._deliver(sub, message), name=f"pubsub {sub.topic}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, sub: _Subscriber, message: Message) -> None:
        try:
            async with sub.lock:  # FIFO: tasks queue on the lock in publish order
                await sub.handler(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery of a message on topic %s failed", message.topic)
        finally:
            sub.pending -= 1

    async def drain(self) -> None:
        """Wait until every started delivery has finished (tests and graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._subscribers.clear()
