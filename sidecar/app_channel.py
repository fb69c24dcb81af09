"""The app channel: every call the sidecar makes to its app goes through here (as in daprd).

:class:`AppChannel` is the contract, with one implementation per app protocol, chosen once when
the sidecar is built (:func:`sidecar._channels.channel_for`): ``HttpAppChannel`` (``appProtocol:
http``) and ``GrpcAppChannel`` (``grpc``: the app's ``AppCallback`` services). Callers speak in
the terms of what they deliver (an invocation, a topic event, a job trigger) and never branch on
the protocol.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import aiohttp
import httpx
from httpx_aiohttp import HttpxAiohttpClient
from httpx_aiohttp.transport import AiohttpTransport

log = logging.getLogger(__name__)

# What Go's net/http client (daprd's) sends of its own; it adds no Accept and no Content-Type.
GO_CLIENT_HEADERS = {"user-agent": "Go-http-client/1.1", "accept-encoding": "gzip"}
UNHEALTHY = "app is not in a healthy state"

# How long an idle pooled connection to the app is kept: below the apps' servers' keep-alive
# (75 s for ours; uvicorn's default is 5 s, which a 5 s pool can race), so this side closes first.
KEEPALIVE_SECONDS = 4.0

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)


def outbound_client(max_connections: int) -> httpx.AsyncClient:
    """httpx's API over aiohttp's connection pool (several times faster under concurrency),
    adding only the headers Go's client adds: a caller's headers, when forwarded, win."""

    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=256)

    def session() -> aiohttp.ClientSession:  # made on first use, inside the event loop
        connector = aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=KEEPALIVE_SECONDS)
        skip = ("Accept", "Content-Type")
        return aiohttp.ClientSession(connector=connector, skip_auto_headers=skip)

    client = HttpxAiohttpClient(
        timeout=httpx.Timeout(None, connect=5.0),
        headers=GO_CLIENT_HEADERS,
        transport=AiohttpTransport(limits=limits, client=session),
    )
    del client.headers["accept"]
    return client


def job_payload(data: str | None, data_type: str | None) -> bytes:
    """A job's data as an HTTP app receives it: the JSON text, or, for data scheduled over gRPC
    as a ``google.protobuf.Any`` of type ``data_type``, the Any's value bytes (stored base64)."""
    if data is None:
        return b""
    return base64.b64decode(data) if data_type is not None else data.encode()


class CallObserver(Protocol):
    """Told of every call to the app once it ends (``status`` 0: no answer)."""

    def called_app(
        self, method: str, path: str, status: int, sent: int, received: int, ms: float
    ) -> None: ...


@dataclass(frozen=True)
class AppTarget:
    """Where the app listens and how to call it: its id, APP_API_TOKEN (None: none sent) and
    ``--app-max-concurrency`` (0: no bound)."""

    host: str
    port: int
    app_id: str
    token: str | None = None
    max_concurrency: int = 0


@dataclass(frozen=True)
class AppRequest:
    """One HTTP-shaped call to the app (an invocation or an actor callback): ``path`` is relative
    to the app's root, ``params`` the query string without its ``?``."""

    method: str
    path: str
    content: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    params: str = ""


class AppChannelError(Exception):
    """The call could not be sent, or the app could not be reached; the message says why."""


class EventOutcome(Enum):
    """What the app made of a topic event (daprd's SUCCESS / RETRY / DROP)."""

    SUCCESS = "SUCCESS"
    RETRY = "RETRY"
    DROP = "DROP"


@dataclass(frozen=True)
class TopicDelivery:
    """One pub/sub message for the app: ``event`` is the decoded CloudEvent, ``data`` its bytes
    as the HTTP channel posts them, ``path`` the matched route, ``metadata`` the publish
    metadata plus ``pubsubName``."""

    pubsub: str
    topic: str
    path: str
    event: dict[str, Any]
    data: bytes
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class BulkEntry:
    """One entry of a bulk delivery: ``event`` is the decoded CloudEvent, or for a raw payload
    the data's base64 text; ``cloud_event`` the CloudEvent (None for a raw payload); ``data``
    the bytes as published; ``metadata`` the message's own metadata."""

    entry_id: str
    event: Any
    cloud_event: dict[str, Any] | None
    data: bytes
    content_type: str
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class BulkDelivery:
    """One bulk envelope for the app (daprd's ``com.dapr.event.sent.bulk``): the entries routed
    to ``path``; ``metadata`` the envelope's (``pubsubName``)."""

    id: str
    pubsub: str
    topic: str
    path: str
    entries: tuple[BulkEntry, ...]
    metadata: Mapping[str, str]


def bulk_outcomes(delivery: BulkDelivery, statuses: Mapping[str, str]) -> dict[str, EventOutcome]:
    """Per-entry outcomes from the app's ``statuses`` (entry id -> status): a missing, empty or
    unknown status is RETRY, as daprd counts it; ids the app made up are ignored (logged)."""
    known = {e.entry_id for e in delivery.entries}
    for entry_id in statuses.keys() - known:
        log.warning("Invalid entry id received from app in a bulk answer: %s", entry_id)
    by_name = {o.value: o for o in EventOutcome}
    return {i: by_name.get(statuses.get(i, ""), EventOutcome.RETRY) for i in known}


class AppChannel(ABC):
    """Calls to the app at ``host:port``, with APP_API_TOKEN added when configured.

    ``healthy`` is False while app health checks find the app unhealthy: every call then fails
    at once with :class:`AppChannelError` ("app is not in a healthy state").
    """

    protocol = "http"  # as ``appConnectionProperties.protocol`` in the metadata

    def __init__(self, target: AppTarget, observer: CallObserver | None = None) -> None:
        self.observer = observer  # told of each call's outcome (the sidecar's metrics)
        self.host = target.host
        self.port = target.port
        self.app_id = target.app_id
        self.token = target.token
        self.healthy = True
        # --app-max-concurrency: at most this many calls in flight to the app, the rest wait
        limit = target.max_concurrency
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Held for the length of one call to the app (a no-op without a concurrency limit)."""
        if self._slots is None:
            yield
            return
        async with self._slots:
            yield

    def check_healthy(self) -> None:
        if not self.healthy:
            raise AppChannelError(UNHEALTHY)

    @abstractmethod
    async def invoke(self, call: AppRequest) -> httpx.Response:
        """Service invocation of ``call.path`` with the HTTP ``call.method``: the app's answer as
        daprd gives it to an HTTP caller. Raises AppChannelError when it cannot be delivered."""

    @abstractmethod
    async def call_actor(self, call: AppRequest) -> httpx.Response:
        """An actor callback (``actors/{type}/{id}/...``); raises AppChannelError."""

    @abstractmethod
    async def actor_config(self) -> Any:
        """The app's actor configuration (as ``GET /dapr/config`` answers it, decoded), or None
        when it gives none. Raises AppChannelError or ValueError when it cannot be read."""

    @abstractmethod
    async def subscriptions(self) -> Any:
        """The app's programmatic subscriptions in ``GET /dapr/subscribe``'s JSON shape, or None
        when it has none (or could not be asked: logged)."""

    @abstractmethod
    async def deliver_event(self, delivery: TopicDelivery) -> EventOutcome:
        """Deliver one topic event; a failure to reach the app is RETRY (logged)."""

    @abstractmethod
    async def deliver_bulk(self, delivery: BulkDelivery) -> dict[str, EventOutcome]:
        """Deliver one bulk envelope: each entry's outcome by entry id. An app that could not be
        reached, or a failed call, is RETRY for every entry; a not-found answer (HTTP 404, gRPC
        Unimplemented) SUCCESS for every entry, as daprd ends those neither retried nor
        dead-lettered (logged)."""

    @abstractmethod
    async def trigger_job(self, name: str, data: str | None, data_type: str | None = None) -> bool:
        """Deliver a job trigger (``data``: the job's JSON text, None without data). True when the
        attempt is over (the app took it, or it is not to be retried: daprd's 404/NotFound)."""

    @abstractmethod
    async def probe_health(self, path: str, timeout: float) -> bool:
        """One app health probe (no token, as daprd): True when the app answers healthy."""

    async def aclose(self) -> None:  # noqa: B027 (most channels hold nothing of their own)
        """Release what the channel holds (the HTTP client is the sidecar's, not closed here)."""

    async def wait_until_listening(self, interval: float = 0.1) -> None:
        """Block until the app's port accepts TCP connections (daprd dials every 100 ms)."""
        while not await self.is_listening():  # noqa: ASYNC110 (a port, not an event: daprd polls)
            await asyncio.sleep(interval)

    async def is_listening(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 0.5)
        except (OSError, TimeoutError):
            return False
        writer.close()
        return True
