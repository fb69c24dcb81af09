"""Pub/sub for the local sidecar: ``pubsub.in-memory`` and ``pubsub.redis`` brokers, the
publish API, app subscriptions."""

from __future__ import annotations

from ._broker import Broker, BrokerError, InMemoryBroker, Message
from ._delivery import Outcome
from ._pubsub_runtime import PubSubComponent, PubSubRuntime
from ._redis_streams import RedisStreamsBroker

__all__ = [
    "Broker",
    "BrokerError",
    "InMemoryBroker",
    "Message",
    "Outcome",
    "PubSubComponent",
    "PubSubRuntime",
    "RedisStreamsBroker",
]
