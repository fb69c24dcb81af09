"""``POST|PUT /v1.0/publish/{pubsub}/{topic...}`` and bulk publish (dapr ``onPublish``)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import gojson
from ..web import empty, json_response, metadata_from_query, read_body
from . import _api_errors, _envelope
from ._bulk import BulkEntry, parse_entries

if TYPE_CHECKING:
    from ._pubsub_runtime import PubSubRuntime

log = logging.getLogger(__name__)

_TRACEPARENT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")
METHODS = ["POST", "PUT"]
ERR_PUBLISH = "ERR_PUBSUB_PUBLISH_MESSAGE"


def _params(request: Request, *, bulk: bool) -> tuple[str, str]:
    """pubsub and topic from the raw path, ``QueryUnescape``d as daprd does (``+`` is a space)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = raw.decode("latin-1").split("?", 1)[0].split("/")
    skip = 4 if bulk else 3  # "", version, "publish"[, "bulk"]
    return unquote_plus(parts[skip]), unquote_plus("/".join(parts[skip + 1 :]))


def _trace(request: Request, *, child: bool) -> tuple[str, str]:
    """The caller's W3C trace context, or none: with tracing off daprd's span context is empty
    when the caller sends none, and the envelope says ``""`` (recorded from daprd 1.18.3)."""
    given = request.headers.get("traceparent", "")
    state = request.headers.get("tracestate", "")
    if _TRACEPARENT.fullmatch(given):
        if not child:
            return given, state
        return f"{given[:35]}{secrets.token_hex(8)}{given[51:]}", state
    return "", ""


class PublishApi:
    """HTTP handlers bound to one runtime."""

    def __init__(self, runtime: PubSubRuntime) -> None:
        self.runtime = runtime

    def _validate(self, request: Request, *, bulk: bool) -> tuple[str, str, dict[str, str]]:
        pubsub, topic = _params(request, bulk=bulk)
        metadata = metadata_from_query(request)
        if not pubsub:
            raise _api_errors.name_empty(metadata)
        if pubsub not in self.runtime.components:
            raise _api_errors.not_found(pubsub, metadata)
        if not topic:
            raise _api_errors.topic_empty(pubsub, metadata)
        return pubsub, topic, metadata

    @staticmethod
    def _raw_payload(pubsub: str, metadata: dict[str, str]) -> bool:
        try:
            return _envelope.is_raw_payload(metadata)
        except ValueError as exc:
            raise _api_errors.bad_metadata(pubsub, metadata, str(exc)) from exc

    def _envelope(self, pubsub: str, topic: str, entry: BulkEntry, trace: tuple[str, str]) -> bytes:
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

    async def publish(self, request: Request) -> Response:
        pubsub, topic, metadata = self._validate(request, bulk=False)
        body = await read_body(request)
        data = body
        if not self._raw_payload(pubsub, metadata):
            entry = BulkEntry("", body, request.headers.get("content-type", ""), metadata)
            data = self._envelope(pubsub, topic, entry, _trace(request, child=False))
        await self.runtime.publish(pubsub, topic, data, metadata)
        return empty()

    async def bulk_publish(self, request: Request) -> Response:
        pubsub, topic, metadata = self._validate(request, bulk=True)
        raw = self._raw_payload(pubsub, metadata)
        entries = parse_entries(
            await read_body(request), pubsub, topic, self.runtime.app_id, metadata
        )
        if not raw:
            entries = [
                e.with_data(self._envelope(pubsub, topic, e, _trace(request, child=True)))
                for e in entries
            ]
        comp = self.runtime.components[pubsub]
        if not comp.allows(topic, comp.publishing):
            raise _api_errors.forbidden(pubsub, topic, self.runtime.app_id)
        failed = await self._publish_all(pubsub, topic, entries)
        if not failed:
            return empty()
        return json_response({"failedEntries": failed, "errorCode": ERR_PUBLISH}, 500)

    async def _publish_all(
        self, pubsub: str, topic: str, entries: list[BulkEntry]
    ) -> list[dict[str, str]]:
        failed: list[dict[str, str]] = []
        for entry in entries:
            try:
                await self.runtime.publish(pubsub, topic, entry.data, entry.metadata)
            except _api_errors.PubSubError as exc:
                failed.append({"entryId": entry.entry_id, "error": exc.message})
        return failed


def build_routes(runtime: PubSubRuntime) -> list[BaseRoute]:
    api = PublishApi(runtime)
    bulk: Callable[[Request], Any] = api.bulk_publish
    return [
        Route("/v1.0/publish/bulk/{pubsub}/{topic:path}", bulk, methods=METHODS),
        Route("/v1.0-alpha1/publish/bulk/{pubsub}/{topic:path}", bulk, methods=METHODS),
        Route("/v1.0/publish/{pubsub}/{topic:path}", api.publish, methods=METHODS),
    ]
