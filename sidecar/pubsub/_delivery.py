"""Delivering one broker message to the app (dapr ``pkg/runtime/subscription``, HTTP postman).

The app channel delivers the event (over HTTP: ``POST <route>`` with the envelope bytes exactly
as published, content type ``application/cloudevents+json``, the publish metadata as headers
plus ``pubsubname``; over gRPC: ``OnTopicEvent``). Its answer maps to an :class:`Outcome`;
DROP (and 404) or an unroutable/expired event goes to the
dead-letter topic when one is set, and so does a retriable failure (daprd, with no resiliency
policy, does not retry it). Without a dead-letter topic a failure is only logged, and the broker
takes the message as dealt with (``pubsub.redis`` acknowledges it, as contrib does).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .. import gojson
from ..app_channel import AppChannel, EventOutcome, TopicDelivery
from ..clock import Clock
from . import _envelope
from ._broker import Message
from ._cel import CelEvalError
from ._subscriptions import TopicSubscription, clean_path

log = logging.getLogger(__name__)

DeadLetterPublish = Callable[[str, str, bytes, dict[str, str]], Awaitable[None]]
Outcome = EventOutcome
# Hands one event to its subscriber: (route, envelope bytes, decoded event, metadata) -> outcome
Sender = Callable[[str, bytes, dict[str, Any], dict[str, str]], Awaitable[Outcome]]


class Deliverer:
    """The broker handler for one subscription: to the app over its channel, or through
    ``send`` (a streaming subscription's stream)."""

    def __init__(
        self,
        sub: TopicSubscription,
        channel: AppChannel | None,
        clock: Clock,
        dead_letter: DeadLetterPublish,
        send: Sender | None = None,
    ) -> None:
        self.sub = sub
        self.channel = channel
        self.clock = clock
        self.dead_letter = dead_letter
        self.send: Sender = send or self._post

    async def __call__(self, message: Message) -> None:
        metadata = {**message.metadata, "pubsubName": self.sub.pubsubname}
        message = Message(message.topic, message.data, metadata)
        try:
            event, data = self._cloud_event(message)
        except ValueError as exc:
            log.error(
                "error deserializing cloud event in pubsub %s and topic %s: %s",
                self.sub.pubsubname,
                message.topic,
                exc,
            )
            return await self._failed(message)
        if _envelope.has_expired(event, self.clock.now()):
            log.warning(
                "dropping expired pub/sub event %s as of %s",
                event.get("id"),
                event.get("expiration"),
            )
            return await self._to_dead_letter(message)
        await self._route(message, event, data)

    async def _route(self, message: Message, event: dict[str, Any], data: bytes) -> None:
        try:
            path = self.sub.route_for(event)
        except CelEvalError as exc:
            log.error(
                "error finding matching route for event %s in pubsub %s and topic %s: %s",
                event.get("id"),
                self.sub.pubsubname,
                message.topic,
                exc,
            )
            return await self._failed(message)
        if path is None:
            log.debug("no matching route for event %s; skipping", event.get("id"))
            return await self._to_dead_letter(message)
        outcome = await self.send(path, data, event, message.metadata)
        if outcome is Outcome.DROP:
            await self._to_dead_letter(message)
        elif outcome is Outcome.RETRY:
            await self._failed(message)

    def _cloud_event(self, message: Message) -> tuple[dict[str, Any], bytes]:
        raw = _envelope.is_raw_payload(self.sub.metadata)
        if raw:
            event = _envelope.from_raw_payload(
                message.data, topic=message.topic, pubsub=self.sub.pubsubname
            )
            _trace_from(message.metadata, event, overwrite=True)
            return event, gojson.dumpb(event)
        decoded = json.loads(message.data) if message.data.strip() else None
        if decoded is not None and not isinstance(decoded, dict):
            raise ValueError("a CloudEvent must be a JSON object")
        event = decoded or {}
        _trace_from(message.metadata, event, overwrite=False)
        return event, message.data

    async def _post(
        self, path: str, data: bytes, event: dict[str, Any], metadata: dict[str, str]
    ) -> Outcome:
        delivery = TopicDelivery(
            self.sub.pubsubname, self.sub.topic, clean_path(path), event, data, metadata
        )
        assert self.channel is not None
        return await self.channel.deliver_event(delivery)

    async def _failed(self, message: Message) -> None:
        if self.sub.dead_letter_topic:
            await self._to_dead_letter(message)
        else:
            log.error(
                "pubsub %s topic %s: message not delivered, and there is no dead-letter topic",
                self.sub.pubsubname,
                message.topic,
            )

    async def _to_dead_letter(self, message: Message) -> None:
        topic = self.sub.dead_letter_topic
        if not topic:
            return
        try:
            await self.dead_letter(self.sub.pubsubname, topic, message.data, message.metadata)
        except Exception as exc:
            log.error(
                "error sending message to dead letter, origin topic: %s dead letter "
                "topic %s err: %s",
                message.topic,
                topic,
                exc,
            )


def _trace_from(metadata: dict[str, str], event: dict[str, Any], *, overwrite: bool) -> None:
    for key in ("traceid", "traceparent", "tracestate"):
        if key in metadata and (overwrite or key not in event):
            event[key] = metadata[key]
            if key == "traceparent":
                event["traceid"] = metadata[key]
