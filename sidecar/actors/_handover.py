"""One activation of an actor at a time across the sidecars of a runtime home.

daprd's placement service disseminates a new table in phases (lock, update, unlock): in the
update every sidecar halts the actors the table moved away, once their ongoing calls drain, and
only then may any sidecar look them up again. So an actor never runs on two hosts at once, and
its new host reads the state its old host stored last.

Here the sidecars share the registry. An actor's activation is recorded there in its first turn,
before the app sees it (``Registry.activate``), and dropped once it is deactivated. A sidecar that
finds the actor still active on another live sidecar waits for that one to let it go. Each
sidecar watches the membership generation and hands over (drains, then deactivates) the active
actors the ring no longer gives it. The records of a sidecar found dead are taken over at once;
one that does not let go within the type's ``drainOngoingCallTimeout`` plus ``GRACE`` is passed
by, with a warning (daprd's drain ends at that timeout too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from ..services import ActorServices
from ._app_config import TypeConfig
from ._placement import Placement, ring_owner
from ._table import ActorTable

log = logging.getLogger(__name__)

WATCH_EVERY = 0.25  # seconds between reads of the membership generation
GRACE = 5.0  # seconds past the holder's drain timeout before a waiting sidecar passes it by
POLL_FIRST, POLL_MAX = 0.02, 0.2  # seconds between looks at a record another sidecar holds
YIELD_EVERY = 1000  # actors checked between turns of the loop when membership changes


class Handover:
    """Records activations in the registry, waits for other holders, hands over moved actors."""

    def __init__(
        self,
        services: ActorServices,
        placement: Placement,
        config: Callable[[str], TypeConfig],
    ) -> None:
        self.services = services
        self.placement = placement
        self.config = config
        self._watching: asyncio.Task[None] | None = None
        self._handing: set[asyncio.Task[None]] = set()

    async def activated(self, actor_type: str, actor_id: str) -> None:
        """Record the actor as active here, once no other live sidecar has it active."""
        registry, me = self.services.registry, self.services.identity.instance
        namespace = self.services.identity.namespace
        holder = await registry.activate(namespace, actor_type, actor_id, me)
        if holder == me:
            return
        started, pause = time.monotonic(), POLL_FIRST
        limit = self.config(actor_type).drain_timeout + GRACE
        log.info(
            "actor %s/%s is still active on %s: waiting for it to be deactivated there",
            actor_type, actor_id, holder,
        )  # fmt: skip
        while holder != me:
            if time.monotonic() - started > limit:
                log.warning(
                    "actor %s/%s: %s did not deactivate it within %.1f s; activating it here",
                    actor_type, actor_id, holder, limit,
                )  # fmt: skip
                return
            await asyncio.sleep(pause)
            pause = min(2 * pause, POLL_MAX)
            holder = await registry.activate(namespace, actor_type, actor_id, me)
        log.info(
            "actor %s/%s taken over after %.2f s",
            actor_type, actor_id, time.monotonic() - started,
        )  # fmt: skip

    async def deactivated(self, actor_type: str, actor_id: str) -> None:
        identity = self.services.identity
        await self.services.registry.deactivate(
            identity.namespace, actor_type, actor_id, identity.instance
        )

    # handing over the actors a new host takes ------------------------------------------------

    def start(self, table: ActorTable, hosted: Callable[[], list[str]]) -> None:
        self._watching = asyncio.create_task(self._watch(table, hosted), name="actor handover")

    async def stop(self) -> None:
        tasks = [t for t in (self._watching, *self._handing) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self, table: ActorTable, hosted: Callable[[], list[str]]) -> None:
        seen = None
        while True:
            if hosted():
                try:
                    generation = await self.placement.generation()
                    if generation != seen:
                        seen = generation
                        await self._hand_over_moved(table)
                except Exception:  # the registry unreadable for a moment: look again next time
                    log.exception("checking which actors moved failed")
            await asyncio.sleep(WATCH_EVERY)

    async def _hand_over_moved(self, table: ActorTable) -> None:
        me = self.services.identity.instance
        hosts: dict[str, list[str]] = {}
        for n, (actor_type, actor_id) in enumerate(table.active(), 1):
            if actor_type not in hosts:
                hosts[actor_type] = [e.instance for e in await self.placement.hosts(actor_type)]
            owner = ring_owner(hosts[actor_type], actor_type, actor_id)
            if owner is not None and owner != me:
                log.info(
                    "actor %s/%s moved to %s: deactivating it here", actor_type, actor_id, owner
                )
                task = asyncio.create_task(table.hand_over(actor_type, actor_id))
                self._handing.add(task)
                task.add_done_callback(self._handing.discard)
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
