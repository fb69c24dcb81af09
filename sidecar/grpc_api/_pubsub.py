"""Pub/sub RPCs: PublishEvent, BulkPublishEvent(Alpha1) over the HTTP routes' publisher, and
SubscribeTopicEventsAlpha1, a streaming subscription on the runtime's broker."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from dapr.proto.runtime.v1 import appcallback_pb2, pubsub_pb2
from google.protobuf import empty_pb2, struct_pb2

from .. import gojson
from ..pubsub import Outcome, PubSubRuntime
from ..pubsub.publishing import BulkEntry
from ._context import Context
from ._status import GrpcAnswer

log = logging.getLogger(__name__)
_CE_FIELDS = ("id", "source", "type", "specversion", "datacontenttype", "topic", "pubsubname")
_OUTCOMES = {0: Outcome.SUCCESS, 1: Outcome.RETRY, 2: Outcome.DROP}


def _runtime(runtime: PubSubRuntime | None) -> PubSubRuntime:
    if runtime is None:
        raise GrpcAnswer(grpc.StatusCode.FAILED_PRECONDITION, "pubsub is not configured")
    return runtime


def event_message(event: dict[str, Any], path: str) -> appcallback_pb2.TopicEventRequest:
    """A CloudEvent as ``TopicEventRequest``: its data as bytes, other attributes as extensions."""
    out = appcallback_pb2.TopicEventRequest(
        id=str(event.get("id", "")),
        source=str(event.get("source", "")),
        type=str(event.get("type", "")),
        spec_version=str(event.get("specversion", "")),
        data_content_type=str(event.get("datacontenttype", "")),
        topic=str(event.get("topic", "")),
        pubsub_name=str(event.get("pubsubname", "")),
        path=path,
        data=_data(event),
    )
    rest = {k: v for k, v in event.items() if k not in (*_CE_FIELDS, "data", "data_base64")}
    if rest:
        extensions = struct_pb2.Struct()
        extensions.update(rest)
        out.extensions.CopyFrom(extensions)
    return out


def _data(event: dict[str, Any]) -> bytes:
    if "data_base64" in event:
        return base64.b64decode(str(event["data_base64"]))
    data = event.get("data")
    if data is None:
        return b""
    return data.encode() if isinstance(data, str) else gojson.dumpb(data)


class _Stream:
    """One open subscription stream: events out, the app's answers back by event id."""

    def __init__(self) -> None:
        self.outgoing: asyncio.Queue[pubsub_pb2.SubscribeTopicEventsResponseAlpha1] = (
            asyncio.Queue()
        )
        self.waiting: dict[str, asyncio.Future[Outcome]] = {}
        self.closed = asyncio.Event()

    async def send(
        self, path: str, data: bytes, event: dict[str, Any], metadata: dict[str, str]
    ) -> Outcome:
        if self.closed.is_set():
            return Outcome.RETRY
        answer: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        key = str(event.get("id", ""))
        self.waiting[key] = answer
        message = event_message(event, path)
        await self.outgoing.put(
            pubsub_pb2.SubscribeTopicEventsResponseAlpha1(event_message=message)
        )
        try:
            return await answer
        finally:
            self.waiting.pop(key, None)

    async def read_answers(self, requests: AsyncIterator[Any]) -> None:
        try:
            async for request in requests:
                if request.HasField("event_processed"):
                    done = request.event_processed
                    answer = self.waiting.get(done.id)
                    if answer is not None and not answer.done():
                        answer.set_result(_OUTCOMES.get(done.status.status, Outcome.RETRY))
        finally:
            self.close()

    def close(self) -> None:
        self.closed.set()
        for answer in self.waiting.values():
            if not answer.done():
                answer.set_result(Outcome.RETRY)


class PubSubRpcs:
    pubsub: PubSubRuntime | None

    async def PublishEvent(self, request: Any, context: Context) -> empty_pb2.Empty:
        publisher = _runtime(self.pubsub).publisher
        metadata = dict(request.metadata)
        entry = BulkEntry("", request.data, request.data_content_type, metadata)
        await publisher.publish(request.pubsub_name, request.topic, entry, metadata, ("", ""))
        return empty_pb2.Empty()

    async def BulkPublishEvent(
        self, request: Any, context: Context
    ) -> pubsub_pb2.BulkPublishResponse:
        runtime = _runtime(self.pubsub)
        pubsub, topic, metadata = request.pubsub_name, request.topic, dict(request.metadata)
        runtime.publisher.validate(pubsub, topic, metadata)
        entries = [_entry(e, metadata) for e in request.entries]
        runtime.publisher.check_entry_ids(pubsub, topic, entries)
        failed = await runtime.publisher.publish_bulk(pubsub, topic, entries, metadata, _no_trace)
        out = pubsub_pb2.BulkPublishResponse()
        for entry_id, error in failed:
            out.failedEntries.add(entry_id=entry_id, error=error)
        return out

    BulkPublishEventAlpha1 = BulkPublishEvent

    async def SubscribeTopicEventsAlpha1(
        self, requests: AsyncIterator[Any], context: Context
    ) -> AsyncIterator[pubsub_pb2.SubscribeTopicEventsResponseAlpha1]:
        runtime = _runtime(self.pubsub)
        first = await anext(aiter(requests), None)
        if first is None or not first.HasField("initial_request"):
            raise GrpcAnswer(grpc.StatusCode.UNKNOWN, "initial request is required")
        stream = _Stream()
        init = first.initial_request
        deliverer = await runtime.subscribe_stream(
            init.pubsub_name, init.topic, dict(init.metadata), init.dead_letter_topic, stream.send
        )
        reader = asyncio.create_task(stream.read_answers(requests))
        try:
            initial = pubsub_pb2.SubscribeTopicEventsResponseInitialAlpha1()
            yield pubsub_pb2.SubscribeTopicEventsResponseAlpha1(initial_response=initial)
            while not stream.closed.is_set() or not stream.outgoing.empty():
                yield await _next(stream)
        except _StreamEnded:
            return
        finally:
            await runtime.unsubscribe_stream(deliverer)
            stream.close()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader


class _StreamEnded(Exception):
    pass


async def _next(stream: _Stream) -> pubsub_pb2.SubscribeTopicEventsResponseAlpha1:
    """The next event to send, or _StreamEnded once the app closed its side."""
    getting = asyncio.ensure_future(stream.outgoing.get())
    closing = asyncio.ensure_future(stream.closed.wait())
    done, _ = await asyncio.wait({getting, closing}, return_when=asyncio.FIRST_COMPLETED)
    closing.cancel()
    if getting in done:
        return getting.result()
    getting.cancel()
    raise _StreamEnded()


def _entry(entry: Any, metadata: dict[str, str]) -> BulkEntry:
    own = dict(entry.metadata)
    return BulkEntry(entry.entry_id, entry.event, entry.content_type, {**metadata, **own})


def _no_trace() -> tuple[str, str]:
    return "", ""
