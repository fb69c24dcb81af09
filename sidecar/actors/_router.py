"""Delivering actor calls: to the local app under the actor's turn, or to the owning sidecar.

Method calls, reminder fires and timer fires all reach the app as ``PUT /actors/{type}/{id}/
method/...`` while holding the actor's turn lock (§3.2, §3.3). A call for an actor another
sidecar owns is forwarded to that sidecar's internal route with the runtime home's key.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import httpx

from ..app_channel import HOP_BY_HOP, AppChannelError, AppRequest
from ..dapr_errors import DaprError
from ..forwarding import INTERNAL_HEADER
from ..services import ActorServices
from ._lock import StackDepthError, TurnQueueFullError
from ._table import ActorTable

if TYPE_CHECKING:
    from ..registry import Entry
    from ._placement import Placement

log = logging.getLogger(__name__)

FIRE_HEADER = "x-sidecar-actor-fire"  # on forwarded reminder fires
REENTRANCY_HEADER = "Dapr-Reentrancy-Id"
CANCEL_HEADER = "x-daprremindercancel"  # an app answer that ends the reminder or timer


@dataclass(frozen=True)
class ActorCall:
    """One call to an actor: ``PUT actors/{type}/{id}/method/{path}`` on its host.

    ``path`` is the method name, or ``remind/<name>`` / ``timer/<name>`` for a fire.
    """

    actor_type: str
    actor_id: str
    path: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    query: str = ""

    @classmethod
    def fire(cls, actor_type: str, actor_id: str, path: str, body: bytes) -> ActorCall:
        """A reminder or timer callback, as daprd sends it."""
        return cls(actor_type, actor_id, path, body, {"content-type": "application/json"})

    @property
    def app_path(self) -> str:
        return f"actors/{self.actor_type}/{self.actor_id}/method/{self.path}"

    def with_headers(self, headers: Mapping[str, str]) -> ActorCall:
        return replace(self, headers=headers)


def invoke_error(detail: str) -> DaprError:
    return DaprError(500, "ERR_ACTOR_INVOKE_METHOD", f"error invoke actor method: {detail}")


def not_found(actor_type: str, actor_id: str) -> DaprError:
    """Over gRPC daprd gives the lookup's own status (recorded from daprd 1.18.3)."""
    detail = (
        "failed to lookup actor: api error: code = FailedPrecondition desc = "
        f"did not find address for actor '{actor_type}/{actor_id}'"
    )
    return invoke_error(detail).on_grpc("FAILED_PRECONDITION", detail, [])


def method_answer(upstream: httpx.Response, path: str) -> httpx.Response:
    """daprd's answer for an app's reply to a method call (§2.1): only a 200 passes through
    (recorded from daprd 1.18.3: an ``X-Daprerrorresponseheader`` reply is an error too)."""
    if upstream.status_code == 200:
        return upstream
    if upstream.status_code == 404:
        raise invoke_error(f"actor method not found: {path}")
    body = upstream.content.decode("utf-8", "replace")
    raise invoke_error(f"error from actor service: ({upstream.status_code}) {body}")


class Router:
    """Finds an actor's host and delivers calls to it."""

    def __init__(self, services: ActorServices, table: ActorTable, placement: Placement) -> None:
        self.services = services
        self.table = table
        self.placement = placement
        self.lookup_retries = 5  # daprd's built-in policy: 5 retries, 1 s apart
        self.lookup_interval = 1.0

    async def owner(self, actor_type: str, actor_id: str, *, retry: bool = True) -> Entry:
        """The live sidecar owning the actor; DaprError after daprd's retries when none does."""
        attempts = self.lookup_retries + 1 if retry else 1
        for attempt in range(attempts):
            entry = await self.placement.lookup(actor_type, actor_id)
            if entry is not None:
                return entry
            if attempt + 1 < attempts:
                clock = self.services.clock
                await clock.sleep_until(clock.now() + self.lookup_interval)
        raise not_found(actor_type, actor_id)

    def is_me(self, entry: Entry) -> bool:
        return entry.instance == self.services.identity.instance

    async def call_app(self, call: ActorCall, *, reentrancy_id: str | None) -> httpx.Response:
        """PUT ``actors/{type}/{id}/method/{path}`` to the app under the actor's turn."""
        channel = self.services.app_channel
        if channel is None:
            raise invoke_error("app channel is not initialized")
        who = f"{call.actor_type}/{call.actor_id}"
        try:
            async with self.table.turn(call.actor_type, call.actor_id, reentrancy_id):
                return await channel.call_actor(
                    AppRequest("PUT", call.app_path, call.body, call.headers, call.query)
                )
        except StackDepthError as exc:
            raise DaprError(500, "ERR_ACTOR_STACK_DEPTH", str(exc)) from exc
        except TurnQueueFullError as exc:
            raise invoke_error(f"{who}: {exc}") from exc
        except AppChannelError as exc:
            raise invoke_error(f"error from actor service: {exc}") from exc

    async def invoke_local(self, call: ActorCall, *, reentrant: bool) -> httpx.Response:
        """A method call on an actor hosted here; the reentrancy id is added when enabled."""
        rid = None
        if reentrant:
            given = {k.lower(): v for k, v in call.headers.items()}.get(REENTRANCY_HEADER.lower())
            rid = given or str(uuid.uuid4())
            headers = {
                k: v for k, v in call.headers.items() if k.lower() != REENTRANCY_HEADER.lower()
            }
            call = call.with_headers({**headers, REENTRANCY_HEADER: rid})
        return await self.call_app(call, reentrancy_id=rid)

    async def fire_local(self, call: ActorCall) -> httpx.Response:
        """A reminder or timer callback; its turn has an internal id the app never sees."""
        upstream = await self.call_app(call, reentrancy_id=str(uuid.uuid4()))
        if upstream.status_code != 200:
            log.warning(
                "actor %s/%s %s: app answered %s %s",
                call.actor_type,
                call.actor_id,
                call.path,
                upstream.status_code,
                upstream.text[:200],
            )
        return upstream

    async def forward(self, entry: Entry, call: ActorCall) -> httpx.Response:
        """Send a call to the sidecar that owns the actor; its answer comes back unchanged."""
        await self.table.evict(call.actor_type, call.actor_id)  # placement moved it from here
        out = {k: v for k, v in call.headers.items() if k.lower() not in HOP_BY_HOP}
        out[INTERNAL_HEADER] = self.services.internal_key
        url = f"{entry.url}/_sidecar/v1/{call.app_path}"
        if call.query:
            url += "?" + call.query
        try:
            return await self.services.http.request("PUT", url, content=call.body, headers=out)
        except httpx.HTTPError as exc:
            raise invoke_error(f"error forwarding to {entry.url}: {exc!r}") from exc
