"""``pubsub.redis``: Redis Streams with a consumer group, as contrib's ``pubsub/redis``.

A topic is a stream; a message is an entry with the fields ``data`` (the published bytes) and
``metadata`` (the publish metadata as a JSON object). Subscribers read with ``XREADGROUP`` in the
group named by ``consumerID`` (daprd's default: the app id), which is also the consumer name, so
replicas of one app share the messages and other apps get their own copy. ``queueDepth`` entries
are read at a time and ``concurrency`` workers deliver them (in no guaranteed order).

An entry is acknowledged (``XACK``) once the runtime's handler returns, as contrib does whatever
the app answered (daprd, with no resiliency policy, does not retry a failed delivery; a
dead-letter topic takes it when set). An entry whose delivery did not finish, because the
sidecar stopped or crashed or the delivery outlasted ``processingTimeout``, stays pending and is
claimed again (``XAUTOCLAIM``) every ``redeliverInterval`` once idle for ``processingTimeout``; so
delivery is at least once, across restarts. ``maxLenApprox`` (or ``streamTTL``) trims on publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError, ResponseError

from .. import redisconn
from ..redisconn import RedisSettings
from ._broker import Broker, BrokerClosedError, BrokerError, Handler, Message

log = logging.getLogger(__name__)

OWN_METADATA = frozenset(
    {
        "consumerid",
        "redeliverinterval",
        "processingtimeout",
        "queuedepth",
        "concurrency",
        "maxlenapprox",
        "streamttl",
    }
)
_RETRY = (0.1, 0.2, 0.5, 1.0, 2.0)  # pauses between attempts after a lost connection
_CANCEL_AGAIN = 0.5  # seconds close() waits for its tasks before cancelling them again


@dataclass(frozen=True)
class StreamSettings:
    """The stream metadata, timeouts in seconds (0 disables redelivery)."""

    consumer_id: str
    redeliver_interval: float = 15.0
    processing_timeout: float = 60.0
    queue_depth: int = 100
    concurrency: int = 10
    max_len_approx: int = 0
    stream_ttl: float = 0.0


def _millis_or_duration(meta: Mapping[str, str], name: str, default: float) -> float:
    """contrib reads these two as integer milliseconds, else as a Go duration."""
    return redisconn.duration(meta, name, default)


def parse_stream_settings(metadata: Mapping[str, str], app_id: str) -> StreamSettings:
    meta = redisconn.lowered(metadata)
    return StreamSettings(
        consumer_id=meta.get("consumerid", "").strip() or app_id,
        redeliver_interval=_millis_or_duration(meta, "redeliverInterval", 15.0),
        processing_timeout=_millis_or_duration(meta, "processingTimeout", 60.0),
        queue_depth=max(redisconn.integer(meta, "queueDepth", 100), 1),
        concurrency=max(redisconn.integer(meta, "concurrency", 10), 1),
        max_len_approx=redisconn.integer(meta, "maxLenApprox", 0),
        stream_ttl=redisconn.duration(meta, "streamTTL", 0.0),
    )


class RedisStreamsBroker(Broker):
    """contrib ``pubsub.redis`` against one Redis node (see the module docstring)."""

    capabilities = ()  # contrib's Features() is empty

    def __init__(self, settings: RedisSettings, streams: StreamSettings) -> None:
        self.settings = settings
        self.streams = streams
        # reads block up to readTimeout; the socket waits that long plus a margin
        self._client = redisconn.connect(settings, extra_read_timeout=settings.read_timeout + 1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._inflight: set[asyncio.Task[None]] = set()
        self._by_handler: dict[Handler, list[asyncio.Task[None]]] = {}
        self._closed = False

    async def open(self) -> None:
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            await self._client.aclose()
            detail = redisconn.describe(exc)
            address = self.settings.address
            raise BrokerError(
                f"redis streams: error connecting to redis at {address}: {detail}"
            ) from exc

    async def publish(self, message: Message) -> None:
        if self._closed:
            raise BrokerClosedError()
        fields = {"data": message.data, "metadata": json.dumps(message.metadata)}
        trim: dict[str, object] = {}
        if self.streams.max_len_approx > 0:
            trim = {"maxlen": self.streams.max_len_approx, "approximate": True}
        elif self.streams.stream_ttl > 0:
            now_ms = int((await self._client.time())[0] * 1000)
            trim = {"minid": f"{now_ms - int(self.streams.stream_ttl * 1000)}-1"}
        try:
            await self._client.xadd(message.topic, fields, **trim)  # type: ignore[arg-type]
        except (RedisError, OSError) as exc:
            detail = redisconn.describe(exc)
            raise BrokerError(f"redis streams: error from publish: {detail}") from exc

    async def subscribe(self, topic: str, handler: Handler) -> None:
        await self._create_group(topic)
        queue: asyncio.Queue[tuple[bytes, Message]] = asyncio.Queue(self.streams.queue_depth)
        tasks = [self._spawn(self._read_loop(topic, queue), f"redis read {topic}")]
        if self.streams.processing_timeout > 0 and self.streams.redeliver_interval > 0:
            tasks.append(self._spawn(self._reclaim_loop(topic, queue), f"redis reclaim {topic}"))
        for n in range(self.streams.concurrency):
            worker = self._worker(topic, queue, handler)
            tasks.append(self._spawn(worker, f"redis worker {topic} {n}"))
        self._by_handler[handler] = tasks

    async def unsubscribe(self, handler: Handler) -> None:
        """Stop reading for ``handler``; what it did not acknowledge stays pending in the group
        (claimed again by the next reader after processingTimeout, as contrib's)."""
        for task in self._by_handler.pop(handler, []):
            task.cancel()

    async def drain(self) -> None:
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def close(self) -> None:
        """Stop reading and delivering; what was not acknowledged stays pending in Redis.

        The sockets are closed first, so blocked reads end; a cancel that lands inside the
        client's retry of a read can be lost, so it is repeated until every task has ended."""
        self._closed = True
        await self._client.connection_pool.disconnect(inuse_connections=True)
        while self._tasks:  # a cancel the client swallowed (it retries a read) is sent again
            for task in self._tasks:
                task.cancel()
            await asyncio.wait(list(self._tasks), timeout=_CANCEL_AGAIN)
        await self._client.aclose()

    # reading

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _create_group(self, topic: str) -> None:
        group = self.streams.consumer_id
        try:
            await self._client.xgroup_create(topic, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise BrokerError(f"redis streams: {exc}") from exc
        except (RedisError, OSError) as exc:
            raise BrokerError(f"redis streams: {redisconn.describe(exc)}") from exc

    async def _read_loop(self, topic: str, queue: asyncio.Queue[tuple[bytes, Message]]) -> None:
        failures = 0
        while True:
            try:
                entries = await self._read(topic)
            except (RedisError, OSError) as exc:
                if self._closed:
                    return
                failures += 1
                await self._after_read_error(topic, exc, failures)
                continue
            if failures:
                log.info("redis streams: reading stream %s again", topic)
            failures = 0
            for entry_id, fields in entries:
                await queue.put((entry_id, _message(topic, entry_id, fields)))

    async def _read(self, topic: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
        group = self.streams.consumer_id
        block = max(int(self.settings.read_timeout * 1000), 1)
        answer: Any = await self._client.xreadgroup(
            group, group, {topic: ">"}, count=self.streams.queue_depth, block=block
        )
        return [entry for _, entries in answer or () for entry in entries]

    async def _after_read_error(self, topic: str, exc: Exception, failures: int) -> None:
        if "NOGROUP" in str(exc):
            log.warning(
                "redis streams: consumer group %s does not exist for stream %s; recreating it",
                self.streams.consumer_id,
                topic,
            )
            with contextlib.suppress(BrokerError):
                await self._create_group(topic)
        if failures == 1 or failures % 50 == 0:
            log.error("redis streams: error reading from stream %s: %s", topic, exc)
        await asyncio.sleep(_RETRY[min(failures, len(_RETRY)) - 1])

    async def _reclaim_loop(self, topic: str, queue: asyncio.Queue[tuple[bytes, Message]]) -> None:
        while not self._closed:
            try:
                await self._reclaim(topic, queue)
            except (RedisError, OSError) as exc:
                if self._closed:
                    return
                log.error("error retrieving pending Redis messages: %s", exc)
            await asyncio.sleep(self.streams.redeliver_interval)

    async def _reclaim(self, topic: str, queue: asyncio.Queue[tuple[bytes, Message]]) -> None:
        """Claim every entry idle for ``processingTimeout`` and queue it again."""
        group, start = self.streams.consumer_id, "0-0"
        idle = int(self.streams.processing_timeout * 1000)
        while True:
            answer = await self._client.xautoclaim(
                topic, group, group, idle, start_id=start, count=self.streams.queue_depth
            )
            start, entries = answer[0], answer[1]
            for entry_id, fields in entries:
                log.info("redis streams: redelivering message %s of %s", entry_id.decode(), topic)
                await queue.put((entry_id, _message(topic, entry_id, fields)))
            if start in (b"0-0", "0-0"):
                return

    # delivering

    async def _worker(
        self, topic: str, queue: asyncio.Queue[tuple[bytes, Message]], handler: Handler
    ) -> None:
        while True:
            entry_id, message = await queue.get()
            task = asyncio.create_task(self._deliver(topic, entry_id, message, handler))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            await task  # cancelled with the worker at close: not acknowledged, so redelivered

    async def _deliver(
        self, topic: str, entry_id: bytes, message: Message, handler: Handler
    ) -> None:
        timeout = self.streams.processing_timeout if self.streams.redeliver_interval > 0 else 0
        try:
            async with asyncio.timeout(timeout or None):
                await handler(message)
        except TimeoutError:
            log.error(
                "Error processing Redis message %s: not done within processingTimeout %ss; "
                "it will be redelivered",
                entry_id.decode(),
                timeout,
            )
            return
        except Exception:
            log.exception("Error processing Redis message %s", entry_id.decode())
        await self._ack(topic, entry_id)

    async def _ack(self, topic: str, entry_id: bytes) -> None:
        try:
            await self._client.xack(topic, self.streams.consumer_id, entry_id)
        except (RedisError, OSError) as exc:
            log.error("Error acknowledging Redis message %s: %s", entry_id.decode(), exc)


def _message(topic: str, entry_id: bytes, fields: Mapping[bytes, bytes]) -> Message:
    metadata: dict[str, str] = {}
    raw = fields.get(b"metadata")
    if raw:
        try:
            decoded = json.loads(raw)
            metadata = {str(k): str(v) for k, v in decoded.items()}
        except (ValueError, AttributeError) as exc:
            log.warning(
                "Redis PubSub: Could not extract metadata for Redis message %s: %s",
                entry_id.decode(),
                exc,
            )
    return Message(topic, fields.get(b"data", b""), metadata)
