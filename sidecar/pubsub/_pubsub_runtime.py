"""The pub/sub runtime: the sidecar extension that owns brokers, subscriptions and publishing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute

from .. import redisconn
from ..components import Component, ComponentError, init_failure
from ..services import PubSubServices
from . import _api_errors, _subscriptions
from ._broker import (
    Broker,
    BrokerError,
    InMemoryBroker,
    Message,
)
from ._bulk_subscribe import BulkDeliverer
from ._delivery import Deliverer, Sender
from ._redis_streams import OWN_METADATA, RedisStreamsBroker, parse_stream_settings
from ._subscriptions import TopicSubscription
from .outbox import OutboxConfig, TransactionalOutbox

log = logging.getLogger(__name__)

SUPPORTED_TYPES = ("pubsub.in-memory", "pubsub.redis")
#: metadata every pub/sub component may carry (daprd reads these itself)
RUNTIME_METADATA = frozenset({"publishingscopes", "subscriptionscopes"})
RUNTIME_METADATA |= {"allowedtopics", "protectedtopics"}


def _topics(value: str) -> list[str]:
    return list(dict.fromkeys(value.replace(" ", "").split(","))) if value else []


def _scoped(value: str, app_id: str) -> list[str]:
    """``publishingScopes``/``subscriptionScopes``: ``app1=t1,t2;app2=t3`` (dapr pkg/scopes)."""
    out: list[str] = []
    for part in value.replace(" ", "").split(";") if value else ():
        app, sep, topics = part.partition("=")
        if sep and app == app_id:
            out += [t for t in topics.split(",") if t not in out]
    return out


def _meta(metadata: Mapping[str, str], key: str) -> str:
    return next((v for k, v in metadata.items() if k.lower() == key.lower()), "")


def build_broker(comp: Component, app_id: str) -> Broker:
    """The broker of a ``pubsub.*`` component; raises ``ComponentError`` naming its file."""
    if comp.type not in SUPPORTED_TYPES or comp.version != "v1":
        raise ComponentError(
            f"{comp.source}: pubsub component {comp.name!r} has unsupported type "
            f"{comp.type}/{comp.version} (supported: {', '.join(SUPPORTED_TYPES)}, version v1)"
        )
    if comp.type == "pubsub.in-memory":
        return InMemoryBroker()
    try:
        settings = redisconn.parse_settings(comp.metadata, OWN_METADATA | RUNTIME_METADATA)
        streams = parse_stream_settings(comp.metadata, app_id)
    except ValueError as exc:
        raise init_failure(comp, exc) from exc
    return RedisStreamsBroker(settings, streams)


@dataclass
class PubSubComponent:
    """One loaded pub/sub component with daprd's topic scoping rules."""

    name: str
    component_type: str
    version: str
    broker: Broker = field(default_factory=InMemoryBroker)
    publishing: list[str] = field(default_factory=list)
    subscribing: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)

    @classmethod
    def from_resource(cls, comp: Component, app_id: str) -> PubSubComponent:
        md = comp.metadata
        return cls(
            comp.name,
            comp.type,
            comp.version,
            build_broker(comp, app_id),
            publishing=_scoped(_meta(md, "publishingScopes"), app_id),
            subscribing=_scoped(_meta(md, "subscriptionScopes"), app_id),
            allowed=_topics(_meta(md, "allowedTopics")),
            protected=_topics(_meta(md, "protectedTopics")),
        )

    def allows(self, topic: str, scoped: list[str]) -> bool:
        """dapr ``IsOperationAllowed``."""
        if self.allowed and topic not in self.allowed:
            return False
        if topic not in self.protected and not scoped:
            return True
        return topic in scoped


class PubSubRuntime:
    """The sidecar's pub/sub: its components' brokers, publish API, app subscriptions."""

    def __init__(self, services: PubSubServices) -> None:
        from ._routes import build_routes
        from .publishing import Publisher

        self.services = services
        self.publisher = Publisher(self)
        self.components: dict[str, PubSubComponent] = {}
        self.declared: list[TopicSubscription] = []
        self.programmed: list[TopicSubscription] = []
        self.active: list[TopicSubscription] = []
        self.bulk: list[BulkDeliverer] = []
        self.streams: list[Deliverer] = []
        self.outbox: TransactionalOutbox | None = None
        self.routes: list[BaseRoute] = build_routes(self)

    @property
    def app_id(self) -> str:
        return self.services.identity.app_id

    async def start(self) -> None:
        for comp in self.services.resources.components:
            if not comp.type.startswith("pubsub."):
                continue
            component = PubSubComponent.from_resource(comp, self.app_id)
            try:
                await component.broker.open()
            except BrokerError as exc:
                await self.stop()
                raise init_failure(comp, exc) from exc
            self.components[comp.name] = component
        self.declared = _subscriptions.declarative(self.services.resources.subscriptions)
        await self._start_outbox()

    async def _start_outbox(self) -> None:
        """The outbox of the state stores that configure one, subscribed to its internal topics
        whether or not the app listens (as daprd)."""
        stores = [c for c in self.services.resources.components if c.type.startswith("state.")]
        configs = [cfg for cfg in map(OutboxConfig.of, stores) if cfg is not None]
        if configs:
            self.outbox = TransactionalOutbox(self, configs)
            await self.outbox.subscribe(self.services.state_stores)

    async def on_app_ready(self) -> None:
        if not self.components:
            return
        channel = self.services.app_channel
        if channel is None:
            log.warning(
                "app channel not initialized, make sure -app-port is specified if "
                "pubsub subscription is required"
            )
            return
        self.programmed = await self._fetch_programmatic()
        for sub in _subscriptions.merge(self.declared, self.programmed):
            await self._start_subscription(sub)

    async def stop(self) -> None:
        for comp in self.components.values():
            await comp.broker.close()
        for deliverer in self.bulk:
            await deliverer.aclose()

    def describe(self, metadata: dict[str, Any]) -> None:
        metadata.setdefault("components", []).extend(
            {
                "name": c.name,
                "type": c.component_type,
                "version": c.version,
                "capabilities": list(c.broker.capabilities),
            }
            for c in self.components.values()
        )
        subs = _subscriptions.merge(self.declared, self.programmed) + [d.sub for d in self.streams]
        if subs:
            metadata["subscriptions"] = [s.describe() for s in subs]

    async def publish(self, pubsub: str, topic: str, data: bytes, metadata: dict[str, str]) -> None:
        """Scope-check and hand one message to the broker; raises PubSubError."""
        comp = self.components.get(pubsub)
        if comp is None:
            raise _api_errors.not_found(pubsub, metadata)
        if not comp.allows(topic, comp.publishing):
            raise _api_errors.forbidden(pubsub, topic, self.app_id)
        try:
            await comp.broker.publish(Message(topic, data, dict(metadata)))
        except BrokerError as exc:
            raise _api_errors.publish_failed(pubsub, topic, str(exc)) from exc

    async def subscribe_stream(
        self, pubsub: str, topic: str, metadata: dict[str, str], dead_letter: str, send: Sender
    ) -> Deliverer:
        """A streaming subscription (gRPC ``SubscribeTopicEventsAlpha1``): its events go to
        ``send``; ``unsubscribe_stream`` ends it. Raises PubSubError as publishing does."""
        sub = TopicSubscription(
            pubsub,
            topic,
            (_subscriptions.Rule("/"),),
            _subscriptions.SubscriptionKind.STREAMING,
            dead_letter_topic=dead_letter,
            metadata=metadata,
        )
        comp = self.components.get(sub.pubsubname)
        if comp is None:
            raise _api_errors.not_found(sub.pubsubname, {})
        if not comp.allows(sub.topic, comp.subscribing):
            raise _api_errors.forbidden(sub.pubsubname, sub.topic, self.app_id)
        deliverer = Deliverer(sub, None, self.services.clock, self.publish, send)
        try:
            await comp.broker.subscribe(sub.topic, deliverer)
        except BrokerError as exc:
            raise _api_errors.publish_failed(sub.pubsubname, sub.topic, str(exc)) from exc
        self.streams.append(deliverer)
        return deliverer

    async def unsubscribe_stream(self, deliverer: Deliverer) -> None:
        comp = self.components.get(deliverer.sub.pubsubname)
        if comp is not None:
            await comp.broker.unsubscribe(deliverer)
        self.streams = [d for d in self.streams if d is not deliverer]

    async def drain(self) -> None:
        """Wait for every delivery in flight (tests)."""
        for comp in self.components.values():
            await comp.broker.drain()

    async def _start_subscription(self, sub: TopicSubscription) -> None:
        comp = self.components.get(sub.pubsubname)
        if comp is None:
            log.warning("subscription to topic %s: pubsub %s not found", sub.topic, sub.pubsubname)
            return
        if not comp.allows(sub.topic, comp.subscribing):
            log.error(
                "subscription to topic '%s' on pubsub '%s' is not allowed",
                sub.topic,
                sub.pubsubname,
            )
            return
        assert self.services.app_channel is not None
        kind = BulkDeliverer if sub.bulk else Deliverer
        deliverer = kind(sub, self.services.app_channel, self.services.clock, self.publish)
        if isinstance(deliverer, BulkDeliverer):
            self.bulk.append(deliverer)
        try:
            await comp.broker.subscribe(sub.topic, deliverer)
        except BrokerError as exc:
            log.error("subscription to topic %s on pubsub %s failed: %s", sub.topic, comp.name, exc)
            return
        self.active.append(sub)

    async def _fetch_programmatic(self) -> list[TopicSubscription]:
        channel = self.services.app_channel
        assert channel is not None
        items = await channel.subscriptions()
        try:
            subs = _subscriptions.programmatic(items)
        except ValueError as exc:
            log.error("error getting topics from app: %s", exc)
            return []
        if subs:
            log.info("app is subscribed to: %s", [(s.pubsubname, s.topic) for s in subs])
        return subs
