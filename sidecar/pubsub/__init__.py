"""Pub/sub for the local sidecar: ``pubsub.in-memory``, publish API, app subscriptions."""

from __future__ import annotations

from ._broker import InMemoryBroker, Message
from ._delivery import Outcome
from ._pubsub_runtime import PubSubComponent, PubSubRuntime

__all__ = ["InMemoryBroker", "Message", "Outcome", "PubSubComponent", "PubSubRuntime"]
