"""``POST|PUT /v1.0/publish/{pubsub}/{topic...}`` and bulk publish (dapr ``onPublish``)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..web import empty, json_response, metadata_from_query, read_body
from ._bulk import BulkEntry, parse_entries
from .publishing import caller_trace

if TYPE_CHECKING:
    from ._pubsub_runtime import PubSubRuntime

log = logging.getLogger(__name__)

METHODS = ["POST", "PUT"]
ERR_PUBLISH = "ERR_PUBSUB_PUBLISH_MESSAGE"


def _params(request: Request, *, bulk: bool) -> tuple[str, str]:
    """pubsub and topic from the raw path, ``QueryUnescape``d as daprd does (``+`` is a space)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = raw.decode("latin-1").split("?", 1)[0].split("/")
    skip = 4 if bulk else 3  # "", version, "publish"[, "bulk"]
    return unquote_plus(parts[skip]), unquote_plus("/".join(parts[skip + 1 :]))


def _trace(request: Request, *, child: bool) -> tuple[str, str]:
    """The caller's trace context (``caller_trace``); a bulk entry's is a child span of it."""
    given, state = caller_trace(
        request.headers.get("traceparent", ""), request.headers.get("tracestate", "")
    )
    if given and child:
        return f"{given[:35]}{secrets.token_hex(8)}{given[51:]}", state
    return given, state


class PublishApi:
    """HTTP handlers bound to one runtime's publisher."""

    def __init__(self, runtime: PubSubRuntime) -> None:
        self.runtime = runtime
        self.publisher = runtime.publisher

    async def publish(self, request: Request) -> Response:
        pubsub, topic = _params(request, bulk=False)
        metadata = metadata_from_query(request)
        self.publisher.validate(pubsub, topic, metadata)
        body = await read_body(request)
        entry = BulkEntry("", body, request.headers.get("content-type", ""), metadata)
        await self.publisher.publish(pubsub, topic, entry, metadata, _trace(request, child=False))
        return empty()

    async def bulk_publish(self, request: Request) -> Response:
        pubsub, topic = _params(request, bulk=True)
        metadata = metadata_from_query(request)
        self.publisher.validate(pubsub, topic, metadata)
        self.publisher.raw_payload(pubsub, metadata)
        entries = parse_entries(
            await read_body(request), pubsub, topic, self.runtime.app_id, metadata
        )
        failed = await self.publisher.publish_bulk(
            pubsub, topic, entries, metadata, lambda: _trace(request, child=True)
        )
        if not failed:
            return empty()
        listed = [{"entryId": entry_id, "error": error} for entry_id, error in failed]
        return json_response({"failedEntries": listed, "errorCode": ERR_PUBLISH}, 500)


def build_routes(runtime: PubSubRuntime) -> list[BaseRoute]:
    api = PublishApi(runtime)
    bulk: Callable[[Request], Any] = api.bulk_publish
    return [
        Route("/v1.0/publish/bulk/{pubsub}/{topic:path}", bulk, methods=METHODS),
        Route("/v1.0-alpha1/publish/bulk/{pubsub}/{topic:path}", bulk, methods=METHODS),
        Route("/v1.0/publish/{pubsub}/{topic:path}", api.publish, methods=METHODS),
    ]
