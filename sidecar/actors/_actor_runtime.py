"""The actor runtime as a sidecar extension: lifecycle, hosted types, reminders and timers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.routing import BaseRoute

from ..app_channel import AppChannelError, AppRequest
from ..dapr_errors import DaprError
from ..jobs import JobRecord, Outcome, reminder_owner
from ..services import ActorServices
from ..state import StateStore
from ._app_config import ActorConfigError, AppActorConfig, TypeConfig, parse_app_config
from ._handover import Handover
from ._placement import Placement
from ._reminders import fire_body, split_name
from ._router import CANCEL_HEADER, FIRE_HEADER, ActorCall, Router
from ._state import actor_store, runtime_not_found
from ._table import ActorTable
from ._timers import Timers

log = logging.getLogger(__name__)


class ActorRuntime:
    """Dapr actors for one sidecar: API routes, turn locks, placement, reminders, timers."""

    def __init__(self, services: ActorServices) -> None:
        from ._routes import build_routes
        from .operations import ActorOperations

        self.services = services
        self.app_config = AppActorConfig()
        self.hosted: list[str] = []
        self.registered = asyncio.Event()
        self.placement = Placement(services.registry, services.identity.namespace)
        self.handover = Handover(services, self.placement, self.type_config)
        self.table = ActorTable(
            services.clock,
            self.type_config,
            self._send_deactivate,
            activated=self.handover.activated,
            deactivated=self.handover.deactivated,
        )
        self.router = Router(services, self.table, self.placement)
        self.timers = Timers(services.clock, self.fire_timer)
        self.operations = ActorOperations(self)
        self.routes: list[BaseRoute] = build_routes(self)

    @property
    def enabled(self) -> bool:
        return self.services.actors_enabled

    def type_config(self, actor_type: str) -> TypeConfig:
        return self.app_config.of(actor_type)

    def hosts(self, actor_type: str) -> bool:
        return actor_type in self.hosted

    def state_store(self) -> StateStore:
        store = actor_store(self.services.state_stores)
        if store is None:
            raise runtime_not_found()
        return store

    # lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self.table.start()
        self.handover.start(self.table, lambda: self.hosted)
        if self.services.metrics is not None:
            self.services.metrics.watch_actors(self.table.stats)
        if self.services.app_channel is None:
            self.registered.set()

    async def on_app_ready(self) -> None:
        try:
            if self.enabled and self.services.app_channel is not None:
                await self._register_types()
        finally:
            self.registered.set()

    async def _register_types(self) -> None:
        self.app_config = await self._read_app_config()
        types = self.app_config.entities
        if types and actor_store(self.services.state_stores) is None:
            log.warning('actors %s not hosted: no state store has actorStateStore "true"', types)
            return
        self.hosted = types
        await self.services.registry.set_actor_types(self.services.identity.instance, types)
        for actor_type in types:
            owner = reminder_owner(self.services.identity.namespace, actor_type)
            self.services.scheduler.serve(owner, self.deliver_reminder)
        if types:
            log.info("hosting actor types %s", types)

    async def _read_app_config(self) -> AppActorConfig:
        channel = self.services.app_channel
        assert channel is not None
        try:
            return parse_app_config(await channel.actor_config())
        except (AppChannelError, ValueError) as exc:
            log.warning("app configuration ignored: %s", exc)
        except ActorConfigError as exc:
            log.error("actor types not registered: %s", exc)
        return AppActorConfig()

    async def stop(self) -> None:
        for actor_type in self.hosted:
            self.services.scheduler.stop_serving(
                reminder_owner(self.services.identity.namespace, actor_type)
            )
        await self.timers.stop()
        await self.handover.stop()
        await self.table.stop()
        if self.hosted:
            self.hosted = []
            try:
                await self.services.registry.set_actor_types(self.services.identity.instance, [])
            except Exception:  # the home may be gone already at shutdown
                log.debug("could not clear actor types in the registry", exc_info=True)

    def describe(self, metadata: dict[str, Any]) -> None:
        counts = self.table.counts()
        # a zero count is omitted (Go's omitempty), as daprd answers
        active = [{"type": t, "count": counts.get(t, 0)} for t in self.hosted]
        active = [{k: v for k, v in a.items() if v != 0} for a in active]
        if active:
            metadata["actors"] = active
        runtime: dict[str, Any] = {
            "runtimeStatus": "RUNNING" if self.enabled else "DISABLED",
            "activeActors": active,
            "hostReady": self.registered.is_set(),
            "placement": "placement: connected" if self.enabled else "",
        }
        metadata["actorRuntime"] = {k: v for k, v in runtime.items() if v not in ("", [])}

    # callbacks -----------------------------------------------------------------------------

    async def _send_deactivate(self, actor_type: str, actor_id: str) -> None:
        channel = self.services.app_channel
        if channel is None:
            return
        path, headers = (
            f"actors/{actor_type}/{actor_id}",
            {"content-type": "application/x-protobuf"},
        )
        resp = await channel.call_actor(AppRequest("DELETE", path, headers=headers))
        if resp.status_code != 200:
            log.warning(
                "deactivating %s/%s: app answered %s", actor_type, actor_id, resp.status_code
            )

    async def fire_timer(self, actor_type: str, actor_id: str, name: str, body: bytes) -> None:
        resp = await self.router.fire_local(
            ActorCall.fire(actor_type, actor_id, f"timer/{name}", body)
        )
        if CANCEL_HEADER in resp.headers:
            self.timers.delete(actor_type, actor_id, name)
        elif resp.status_code != 200:
            raise RuntimeError(f"app answered {resp.status_code}")

    async def deliver_reminder(self, record: JobRecord) -> Outcome:
        """Scheduler dispatcher: fire at the actor's placement owner; 200 means success."""
        actor_type = record.owner.split("||", 2)[-1]
        actor_id, name = split_name(record)
        call = ActorCall.fire(actor_type, actor_id, f"remind/{name}", fire_body(record))
        try:
            entry = await self.router.owner(actor_type, actor_id, retry=False)
            if self.router.is_me(entry):
                resp = await self.router.fire_local(call)
            else:
                forwarded = call.with_headers({**call.headers, FIRE_HEADER: "1"})
                resp = await self.router.forward(entry, forwarded)
        except DaprError as exc:
            log.warning(
                "reminder %s on %s/%s not delivered: %s", name, actor_type, actor_id, exc.message
            )
            return Outcome.FAILED
        if CANCEL_HEADER in resp.headers:
            await self.services.job_store.delete(record.owner, record.name)
            return Outcome.SUCCESS
        return Outcome.SUCCESS if resp.status_code == 200 else Outcome.FAILED
