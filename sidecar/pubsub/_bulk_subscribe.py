"""Bulk subscriptions (``bulkSubscribe.enabled``), as daprd's default bulk subscriber does it on
top of a broker that hands messages over one at a time (``pkg/runtime/pubsub/default_bulksub``).

Each message the broker hands over waits in a batch; the batch goes to the app as one envelope
per route when it holds ``maxMessagesCount`` entries or ``maxAwaitDurationMs`` after its first
entry arrived. Each message's handler call returns once its entry's outcome is settled, so the
broker acknowledges per entry. A broker that waits for each message before handing over the next
(``pubsub.in-memory``, and daprd's in-memory bus) gives envelopes of one entry, each held for the
await window. Outcomes: SUCCESS ends the entry; DROP sends it to the dead-letter topic (when
set); RETRY (also a missing status, or a failed call) sends it to the dead-letter topic when set,
else it is logged, as daprd does without a resiliency policy. Expiry and routing rules apply per
entry before the envelope is made (an expired or unroutable entry is dead-lettered, not sent).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from collections import defaultdict

from ..app_channel import AppChannel, BulkDelivery, BulkEntry, EventOutcome
from ..clock import Clock
from . import _envelope
from ._broker import Message
from ._cel import CelEvalError
from ._delivery import DeadLetterPublish, Deliverer
from ._subscriptions import BulkConfig, TopicSubscription, clean_path

log = logging.getLogger(__name__)

_Pending = tuple[Message, "asyncio.Future[None]"]


class BulkDeliverer(Deliverer):
    """The broker handler of a bulk subscription: batches messages into envelopes."""

    def __init__(
        self,
        sub: TopicSubscription,
        channel: AppChannel,
        clock: Clock,
        dead_letter: DeadLetterPublish,
    ) -> None:
        super().__init__(sub, channel, clock, dead_letter)
        self.config = sub.bulk or BulkConfig()
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, message: Message) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._batches())
        done = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((message, done))
        await done

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _batches(self) -> None:
        while True:
            batch = [await self._queue.get()]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.max_await_ms / 1000):
                    while len(batch) < self.config.max_messages:
                        batch.append(await self._queue.get())
            await self._settle(batch)

    async def _settle(self, batch: list[_Pending]) -> None:
        try:
            await self._flush([m for m, _ in batch])
        except Exception:
            log.exception("bulk delivery to topic %s failed", self.sub.topic)
        for _, done in batch:
            if not done.done():
                done.set_result(None)

    async def _flush(self, messages: list[Message]) -> None:
        routes: dict[str, list[tuple[BulkEntry, Message]]] = defaultdict(list)
        for message in messages:
            routed = await self._entry(message)
            if routed is not None:
                routes[routed[0]].append((routed[1], message))
        await asyncio.gather(*(self._send(path, items) for path, items in routes.items()))

    async def _entry(self, message: Message) -> tuple[str, BulkEntry] | None:
        """The entry's route and entry, or None when it is settled here (dead-lettered)."""
        try:
            event, data = self._cloud_event(message)
            path = self.sub.route_for(event)
        except (ValueError, CelEvalError) as exc:
            log.error("bulk event on topic %s not processable: %s", message.topic, exc)
            await self._failed(message)
            return None
        if path is None or _envelope.has_expired(event, self.clock.now()):
            await self._to_dead_letter(message)
            return None
        return path, self._bulk_entry(message, event, data)

    def _bulk_entry(self, message: Message, event: dict[str, object], data: bytes) -> BulkEntry:
        entry_id = str(uuid.uuid4())
        if _envelope.is_raw_payload(self.sub.metadata):
            text = base64.b64encode(message.data).decode()
            return BulkEntry(entry_id, text, None, message.data, _RAW_CT, message.metadata)
        return BulkEntry(entry_id, event, event, data, _CE_CT, message.metadata)

    async def _send(self, path: str, items: list[tuple[BulkEntry, Message]]) -> None:
        delivery = BulkDelivery(
            str(uuid.uuid4()),
            self.sub.pubsubname,
            self.sub.topic,
            clean_path(path),
            tuple(e for e, _ in items),
            {"pubsubName": self.sub.pubsubname},
        )
        assert self.channel is not None
        outcomes = await self.channel.deliver_bulk(delivery)
        for entry, message in items:
            outcome = outcomes.get(entry.entry_id, EventOutcome.RETRY)
            if outcome is EventOutcome.DROP:
                await self._to_dead_letter(message)
            elif outcome is EventOutcome.RETRY:
                await self._failed(message)


_RAW_CT = "application/octet-stream"
_CE_CT = "application/cloudevents+json"
