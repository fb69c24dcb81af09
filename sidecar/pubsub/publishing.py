"""Publishing, for both transports (dapr ``onPublish``/``onBulkPublish`` and the gRPC
``PublishEvent``/``BulkPublishEvent``): validation, the CloudEvent envelope, scopes, the broker.

A transport decodes its request (URL, query and body over HTTP; protobuf over gRPC) into the
arguments here and writes the answer; what is checked, built and published is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import gojson
from . import _api_errors, _envelope
from ._bulk import BulkEntry

if TYPE_CHECKING:
    from ._pubsub_runtime import PubSubRuntime

__all__ = ["BulkEntry", "Publisher", "Trace", "caller_trace"]
Trace = tuple[str, str]  # (traceparent, tracestate), empty when the caller sent none
_TRACEPARENT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")


def caller_trace(traceparent: str, tracestate: str) -> Trace:
    """The caller's W3C trace context, or none: with tracing off daprd's span context is empty
    when the caller sends none, and the envelope says ``""`` (recorded from daprd 1.18.3)."""
    return (traceparent, tracestate) if _TRACEPARENT.fullmatch(traceparent) else ("", "")


class Publisher:
    """Publish requests for one pub/sub runtime."""

    def __init__(self, runtime: PubSubRuntime) -> None:
        self.runtime = runtime

    def validate(self, pubsub: str, topic: str, metadata: dict[str, str]) -> None:
        if not pubsub:
            raise _api_errors.name_empty(metadata)
        if pubsub not in self.runtime.components:
            raise _api_errors.not_found(pubsub, metadata)
        if not topic:
            raise _api_errors.topic_empty(pubsub, metadata)

    @staticmethod
    def raw_payload(pubsub: str, metadata: dict[str, str]) -> bool:
        try:
            return _envelope.is_raw_payload(metadata)
        except ValueError as exc:
            raise _api_errors.bad_metadata(pubsub, metadata, str(exc)) from exc

    def envelope(self, pubsub: str, topic: str, entry: BulkEntry, trace: Trace) -> bytes:
        now = self.runtime.services.clock.now()
        if _envelope.is_content_type(entry.content_type, _envelope.CLOUDEVENT_CT):
            try:
                event = _envelope.from_cloud_event(
                    entry.data,
                    topic=topic,
                    pubsub=pubsub,
                    trace_id=trace[0],
                    trace_state=trace[1],
                    now=now,
                )
            except _envelope.EnvelopeError as exc:
                raise _api_errors.cloud_event_creation(
                    pubsub, self.runtime.app_id, str(exc)
                ) from exc
        else:
            event = _envelope.new_envelope(
                source=self.runtime.app_id,
                topic=topic,
                pubsub=pubsub,
                content_type=entry.content_type,
                body=entry.data,
                trace_id=trace[0],
                trace_state=trace[1],
                metadata=entry.metadata,
                now=now,
            )
        _envelope.apply_ttl(event, entry.metadata, now)
        return gojson.dumpb(event)

    async def publish(
        self, pubsub: str, topic: str, entry: BulkEntry, metadata: dict[str, str], trace: Trace
    ) -> None:
        """One event: checked, wrapped in an envelope unless ``rawPayload``, published."""
        self.validate(pubsub, topic, metadata)
        data = entry.data
        if not self.raw_payload(pubsub, metadata):
            data = self.envelope(pubsub, topic, entry, trace)
        await self.runtime.publish(pubsub, topic, data, metadata)

    def check_entry_ids(self, pubsub: str, topic: str, entries: Sequence[BulkEntry]) -> None:
        """Every entry has an id, and no two the same."""
        ids = [e.entry_id for e in entries]
        if any(not i for i in ids) or len(set(ids)) != len(ids):
            error = "entryId is duplicated or not present for entry"
            raise _api_errors.marshal_events(pubsub, topic, self.runtime.app_id, error)

    async def publish_bulk(
        self,
        pubsub: str,
        topic: str,
        entries: Sequence[BulkEntry],
        metadata: dict[str, str],
        trace: Callable[[], Trace],
    ) -> list[tuple[str, str]]:
        """Every entry (``validate`` and decoding done by the caller); the (entry id, error) of
        those that failed."""
        if not self.raw_payload(pubsub, metadata):
            entries = [e.with_data(self.envelope(pubsub, topic, e, trace())) for e in entries]
        comp = self.runtime.components[pubsub]
        if not comp.allows(topic, comp.publishing):
            raise _api_errors.forbidden(pubsub, topic, self.runtime.app_id)
        failed: list[tuple[str, str]] = []
        for entry in entries:
            try:
                await self.runtime.publish(pubsub, topic, entry.data, entry.metadata)
            except _api_errors.PubSubError as exc:
                failed.append((entry.entry_id, exc.message))
        return failed
