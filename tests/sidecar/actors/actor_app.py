"""A FastAPI app hosting test actors through the real SDK's DaprActor (run by uvicorn).

Environment: DAPR_HTTP_PORT (the sidecar), ACTOR_IDLE_TIMEOUT (seconds, default 3600),
ACTOR_DRAIN_TIMEOUT (seconds; unset: daprd's default).
``GET /log`` returns the activation/deactivation events of this process.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from dapr.actor import Actor, ActorInterface, ActorProxy, Remindable, actormethod
from dapr.actor.runtime.config import ActorReentrancyConfig, ActorRuntimeConfig, ActorTypeConfig
from dapr.actor.runtime.runtime import ActorRuntime
from dapr.ext.fastapi import DaprActor
from fastapi import FastAPI

EVENTS: list[dict[str, Any]] = []


class TestActorInterface(ActorInterface):
    @actormethod(name="Ping")
    async def ping(self) -> str: ...

    @actormethod(name="SetValue")
    async def set_value(self, value: Any) -> None: ...

    @actormethod(name="GetValue")
    async def get_value(self) -> Any: ...

    @actormethod(name="Hold")
    async def hold(self, seconds: float) -> list[float]: ...

    @actormethod(name="CountAfter")
    async def count_after(self, seconds: float) -> int: ...

    @actormethod(name="StartReminder")
    async def start_reminder(self, spec: dict[str, Any]) -> None: ...

    @actormethod(name="StopReminder")
    async def stop_reminder(self, name: str) -> None: ...

    @actormethod(name="StartTimer")
    async def start_timer(self, spec: dict[str, Any]) -> None: ...

    @actormethod(name="Fired")
    async def fired(self) -> list[Any]: ...

    @actormethod(name="CallSelf")
    async def call_self(self, timeout: float) -> str: ...

    @actormethod(name="Nest")
    async def nest(self, depth: int) -> int: ...


class _Base(Actor):
    async def _on_activate(self) -> None:
        EVENTS.append(
            {
                "event": "activate",
                "type": self.runtime_ctx.actor_type_info.type_name,
                "id": self.id.id,
                "at": time.time(),
            }
        )

    async def _on_deactivate(self) -> None:
        EVENTS.append(
            {
                "event": "deactivate",
                "type": self.runtime_ctx.actor_type_info.type_name,
                "id": self.id.id,
                "at": time.time(),
            }
        )

    async def ping(self) -> str:
        return f"pong {self.id.id}"

    async def set_value(self, value: Any) -> None:
        await self._state_manager.set_state("value", value)

    async def get_value(self) -> Any:
        found, value = await self._state_manager.try_get_state("value")
        return value if found else None

    async def hold(self, seconds: float) -> list[float]:
        start = time.time()
        await asyncio.sleep(seconds)  # the workload whose overlap the test inspects
        return [start, time.time()]

    async def count_after(self, seconds: float) -> int:
        """Read the count, wait ``seconds``, store it plus one: a turn whose state another host
        must not read before it ends."""
        found, count = await self._state_manager.try_get_state("count")
        await asyncio.sleep(seconds)
        await self._state_manager.set_state("count", (count if found else 0) + 1)
        await self._state_manager.save_state()
        return (count if found else 0) + 1

    async def start_reminder(self, spec: dict[str, Any]) -> None:
        period = spec.get("period")
        await self.register_reminder(
            spec["name"],
            spec["data"].encode(),
            timedelta(seconds=spec["due"]),
            timedelta(seconds=period) if period else None,
        )

    async def stop_reminder(self, name: str) -> None:
        await self.unregister_reminder(name)

    async def receive_reminder(
        self, name: str, state: bytes, due_time: Any, period: Any, ttl: Any = None
    ) -> None:
        await self._record({"kind": "reminder", "name": name, "data": state.decode()})

    async def start_timer(self, spec: dict[str, Any]) -> None:
        period = spec.get("period")
        await self.register_timer(
            spec["name"],
            self.on_timer,
            spec["data"],
            timedelta(seconds=spec["due"]),
            timedelta(seconds=period) if period else None,
        )

    async def on_timer(self, data: Any) -> None:
        await self._record({"kind": "timer", "data": data})

    async def _record(self, entry: dict[str, Any]) -> None:
        found, fired = await self._state_manager.try_get_state("fired")
        await self._state_manager.set_state("fired", [*(fired if found else []), entry])

    async def fired(self) -> list[Any]:
        found, fired = await self._state_manager.try_get_state("fired")
        return fired if found else []

    async def call_self(self, timeout: float) -> str:
        proxy = ActorProxy.create(
            self.runtime_ctx.actor_type_info.type_name, self.id, TestActorInterface
        )
        try:
            return await asyncio.wait_for(proxy.Ping(), timeout)
        except TimeoutError:
            return "timeout"

    async def nest(self, depth: int) -> int:
        if depth <= 1:
            return 1
        proxy = ActorProxy.create(
            self.runtime_ctx.actor_type_info.type_name, self.id, TestActorInterface
        )
        return 1 + await proxy.Nest(depth - 1)


class TestActor(_Base, TestActorInterface, Remindable):  # the SDK wants a direct base
    pass


class ReentrantActor(_Base, TestActorInterface, Remindable):
    pass


def _config() -> ActorRuntimeConfig:
    idle = timedelta(seconds=float(os.environ.get("ACTOR_IDLE_TIMEOUT", "3600")))
    reentrant = ActorTypeConfig(
        "ReentrantActor",
        actor_idle_timeout=idle,
        reentrancy=ActorReentrancyConfig(enabled=True, maxStackDepth=4),
    )
    drain = os.environ.get("ACTOR_DRAIN_TIMEOUT")  # unset: daprd's default (2 s)
    return ActorRuntimeConfig(
        actor_idle_timeout=idle,
        drain_ongoing_call_timeout=timedelta(seconds=float(drain)) if drain else None,
        actor_type_configs=[reentrant],
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    ActorRuntime.set_actor_config(_config())
    await actor.register_actor(TestActor)
    await actor.register_actor(ReentrantActor)
    yield


app = FastAPI(lifespan=lifespan)
actor = DaprActor(app)


@app.get("/log")
async def log() -> list[dict[str, Any]]:
    return EVENTS
