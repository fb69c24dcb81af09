"""The transactional outbox (daprd ``pkg/runtime/pubsub/outbox.go``).

A state store whose component sets ``outboxPublishPubsub`` and ``outboxPublishTopic`` publishes
each upsert of a state transaction to that topic, and only once the transaction has committed:

1. before the commit, each upsert becomes a CloudEvent (id ``outbox-<uuid>``) published to an
   internal topic (``{namespace}{appId}{topic}outbox``) on ``outboxPubsub`` (default: the publish
   pubsub), and the transaction gains a marker row under that id (value ``"0"``, key not
   prefixed). A failed internal publish refuses the transaction (``ERR_PUBLISH_OUTBOX``) and
   nothing is written;
2. the sidecar's own subscriber of the internal topic waits for the transaction: once it has
   committed it republishes the event to the user topic and deletes the row. When it failed the
   event is dropped (``outboxDiscardWhenMissingState``) or refused so that a durable broker
   redelivers it. A transaction of this process settles its events as it ends; for any other
   event (a redelivery after a restart) the subscriber looks for the row, as daprd does, over
   the waits of ``MARKER_WAITS``.

An upsert carrying ``outbox.projection: true`` is not written; its value is what the event of
the other upsert of the same key carries. Deletes publish nothing. The event copies the
operation's metadata as attributes (all but ``data`` and ``id``), so ``type``, ``source`` or
``subject`` in it override daprd's defaults.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import gojson
from ..components import Component
from ..state import Delete, StateStore, StateStoreError, Upsert
from ..state.operations import TxnOp
from . import _api_errors, _envelope
from ._broker import BrokerError, Message

if TYPE_CHECKING:
    from ._pubsub_runtime import PubSubRuntime

log = logging.getLogger(__name__)

#: seconds between the marker checks (daprd: 1 s, then a 10 s exponential backoff)
MARKER_WAITS = (0.5, 1.0, 1.5, 3.0, 3.0, 3.0)
_TRUTHY = ("1", "true", "t", "y", "yes", "on")


@dataclass(frozen=True)
class OutboxConfig:
    """A state store's outbox metadata (keys exact, as daprd reads them)."""

    store: str
    publish_pubsub: str
    publish_topic: str
    outbox_pubsub: str
    discard_when_missing: bool

    @classmethod
    def of(cls, comp: Component) -> OutboxConfig | None:
        meta = comp.metadata
        pubsub, topic = meta.get("outboxPublishPubsub", ""), meta.get("outboxPublishTopic", "")
        if not pubsub or not topic:
            return None
        discard = meta.get("outboxDiscardWhenMissingState", "").lower() in _TRUTHY
        own = meta.get("outboxPubsub", "") or pubsub
        return cls(comp.name, pubsub, topic, own, discard)


def outbox_failed(app_id: str, error: str) -> _api_errors.PubSubError:
    """daprd ``PubSubOutbox``: 500 (gRPC Internal), no ResourceInfo."""
    message = f"error while publishing outbox message: {error}"
    metadata = {"appID": app_id, "error": error}
    code, reason = "ERR_PUBLISH_OUTBOX", "DAPR_PUBSUB_OUTBOX"
    return _api_errors.PubSubError(500, code, reason, message, metadata=metadata, resource=None)


def split_projections(ops: Sequence[TxnOp]) -> tuple[list[TxnOp], dict[str, TxnOp]]:
    """The operations to write, and the projections (by stored key) that replace their event."""
    kept: list[TxnOp] = []
    projections: dict[str, TxnOp] = {}
    for op in ops:
        if isinstance(op.op, Upsert) and _is_projection(op.metadata):
            projections[op.op.key] = op
        else:
            kept.append(op)
    return kept, projections


def _is_projection(metadata: Mapping[str, str]) -> bool:
    return metadata.get("outbox.projection", "").lower() in _TRUTHY


class TransactionalOutbox:
    """The outbox of every state store that configures one, for one sidecar's pub/sub."""

    def __init__(self, runtime: PubSubRuntime, configs: Sequence[OutboxConfig]) -> None:
        self.runtime = runtime
        self.configs = {c.store: c for c in configs}
        self.waits = MARKER_WAITS
        # the events of this process's transactions in flight: their relay waits on these
        self.pending: dict[str, asyncio.Future[bool]] = {}

    def enabled(self, store: str) -> bool:
        return store in self.configs

    def internal_topic(self, config: OutboxConfig) -> str:
        # daprd's namespace here is $NAMESPACE (unset in self-hosted mode)
        namespace = os.environ.get("NAMESPACE", "")
        return f"{namespace}{self.runtime.app_id}{config.publish_topic}outbox"

    @contextlib.asynccontextmanager
    async def transaction(
        self, store: str, ops: Sequence[TxnOp], trace: tuple[str, str]
    ) -> AsyncIterator[list[Upsert | Delete]]:
        """Publish each upsert's event to the internal topic, then give the writes to commit
        (projections dropped, one marker per event added); the exit settles the events (sent on
        by the relay if the commit did not raise). Raises PubSubError (``ERR_PUBLISH_OUTBOX``)."""
        settled: list[asyncio.Future[bool]] = []
        try:
            writes = await self._publish_internal(store, ops, trace, settled)
            yield writes
        except BaseException:
            _settle(settled, ok=False)
            raise
        _settle(settled, ok=True)

    async def _publish_internal(
        self,
        store: str,
        ops: Sequence[TxnOp],
        trace: tuple[str, str],
        settled: list[asyncio.Future[bool]],
    ) -> list[Upsert | Delete]:
        config = self.configs[store]
        kept, projections = split_projections(ops)
        writes: list[Upsert | Delete] = [op.op for op in kept]
        for op in kept:
            if isinstance(op.op, Upsert):
                marker = f"outbox-{uuid.uuid4()}"
                event = self._event(config, marker, op, projections.get(op.op.key, op), trace)
                settled.append(self._expect(marker))
                try:
                    await self._publish(config.outbox_pubsub, self.internal_topic(config), event)
                except BaseException:
                    self.pending.pop(marker, None)  # never published: no relay will ask
                    raise
                writes.append(Upsert(marker, b'"0"'))
        return writes

    def _expect(self, marker: str) -> asyncio.Future[bool]:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending[marker] = future
        return future

    def _event(
        self, config: OutboxConfig, marker: str, op: TxnOp, data: TxnOp, trace: tuple[str, str]
    ) -> bytes:
        event = _envelope.new_envelope(
            source=self.runtime.app_id,
            topic="",
            pubsub=config.outbox_pubsub,
            content_type=data.content_type,
            body=data.event_data,
            trace_id=trace[0],
            trace_state=trace[1],
            metadata={},
            now=self.runtime.services.clock.now(),
            new_id=lambda: marker,
        )
        event["traceparent"] = ""
        event.update({k: v for k, v in op.metadata.items() if k not in ("data", "id")})
        return gojson.dumpb(event)

    async def _publish(self, pubsub: str, topic: str, data: bytes) -> None:
        if pubsub not in self.runtime.components:
            raise outbox_failed(self.runtime.app_id, f"pubsub '{pubsub}' not found")
        try:
            await self.runtime.publish(pubsub, topic, data, {})
        except _api_errors.PubSubError as exc:
            raise outbox_failed(self.runtime.app_id, exc.message) from exc

    async def subscribe(self, stores: Mapping[str, StateStore]) -> None:
        """Subscribe to the internal topic of every configured store (at start)."""
        for config in self.configs.values():
            comp = self.runtime.components.get(config.outbox_pubsub)
            store = stores.get(config.store)
            if comp is None or store is None:
                log.warning(
                    "could not subscribe to internal outbox topic: outbox pubsub %s not loaded",
                    config.outbox_pubsub,
                )
                continue
            relay = _Relay(self, config, store)
            await comp.broker.subscribe(self.internal_topic(config), relay)


def _settle(futures: list[asyncio.Future[bool]], *, ok: bool) -> None:
    for future in futures:
        if not future.done():
            future.set_result(ok)


class _Relay:
    """The internal topic's subscriber: republish once the marker row exists, then delete it."""

    def __init__(self, outbox: TransactionalOutbox, config: OutboxConfig, store: StateStore):
        self.outbox, self.config, self.store = outbox, config, store

    async def __call__(self, message: Message) -> None:
        event: dict[str, Any] = gojson.loads_precise(message.data)
        marker = str(event.get("id", ""))
        if not await self._committed(marker):
            error = (
                f"cannot publish outbox message to topic {self.config.publish_topic} with pubsub"
                f" {self.config.publish_pubsub}: outbox state not found"
            )
            if self.config.discard_when_missing:
                log.error("failed to publish outbox topic: %s, discarding message", error)
                return
            log.error("failed to publish outbox topic: %s, rejecting for later processing", error)
            raise BrokerError(error)
        event["topic"], event["pubsubname"] = self.config.publish_topic, self.config.publish_pubsub
        data = gojson.dumpb(event)
        await self.outbox.runtime.publish(self.config.publish_pubsub, event["topic"], data, {})
        await self.store.delete(Delete(marker))

    async def _committed(self, marker: str) -> bool:
        """Whether the marker's transaction committed: known at once for a transaction of this
        process, else (a redelivery after a restart) when its row appears."""
        settled = self.outbox.pending.pop(marker, None)
        if settled is not None:
            return await settled
        clock = self.outbox.runtime.services.clock
        for wait in (0.0, *self.outbox.waits):
            if wait:
                await clock.sleep_until(clock.now() + wait)
            try:
                item = await self.store.get(marker)
            except StateStoreError as exc:
                log.warning("outbox state %s: %s", marker, exc)
                continue
            if item is not None and item.value:
                return True
        return False
