"""An in-process sidecar with a state store, a pub/sub and a hosted actor type, its stub app on a
real port (uvicorn, in this event loop), and views of everything the sidecar could have stored."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sidecar._config import SidecarConfig
from sidecar._runner import free_port
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock
from sidecar.jobs import MemoryJobStore, app_owner, reminder_owner

from ..integration._support import write_statestore

APP_ID = "myapp"
ACTOR = "FuzzActor"


@dataclass
class StubApp:
    """Hosts ``FuzzActor``, subscribes to ``pubsub/t``, records every other request."""

    port: int
    seen: list[str] = field(default_factory=list)

    def asgi(self) -> Starlette:
        async def config(_: Request) -> Response:
            return JSONResponse({"entities": [ACTOR]})

        async def subscribe(_: Request) -> Response:
            return JSONResponse([{"pubsubname": "pubsub", "topic": "t", "route": "/events"}])

        async def health(_: Request) -> Response:
            return Response(status_code=200)

        async def record(request: Request) -> Response:
            await request.body()
            self.seen.append(f"{request.method} {request.url.path}")
            return JSONResponse({"ok": True})

        methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
        return Starlette(
            routes=[
                Route("/dapr/config", config),
                Route("/dapr/subscribe", subscribe),
                Route("/healthz", health),
                Route("/{path:path}", record, methods=methods),
            ]
        )


@contextlib.asynccontextmanager
async def serve(app: StubApp) -> AsyncIterator[None]:
    config = uvicorn.Config(app.asgi(), port=app.port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = False  # type: ignore[attr-defined]
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):  # at most ~10 s
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "stub app did not start"
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@dataclass
class Harness:
    sidecar: Sidecar
    client: httpx.AsyncClient
    app: StubApp
    db: Path

    async def jobs(self) -> list[str]:
        store = self.sidecar.job_store
        owners = [app_owner("default", APP_ID), reminder_owner("default", ACTOR)]
        return [r.name for owner in owners for r in await store.records(owner)]

    def state_keys(self) -> list[str]:
        conn = sqlite3.connect(self.db)
        try:
            return [row[0] for row in conn.execute("SELECT key FROM state")]
        finally:
            conn.close()

    async def stored(self) -> dict[str, list[str]]:
        """Everything a request could have left behind; all empty means nothing stored."""
        timers = [str(k) for k in getattr(self.sidecar_timers(), "_tasks", {})]
        return {
            "jobs": await self.jobs(),
            "state": self.state_keys(),
            "app": list(self.app.seen),
            "timers": timers,
        }

    def sidecar_timers(self) -> object:
        for ext in self.sidecar.extensions:
            if hasattr(ext, "timers"):
                return ext.timers
        return None


@contextlib.asynccontextmanager
async def harness(tmp: Path) -> AsyncIterator[Harness]:
    db = tmp / "state.db"
    resources = tmp / "resources"
    write_statestore(resources, db, busy_timeout=False, pubsub=True)
    app = StubApp(free_port())
    config = SidecarConfig(
        app_id=APP_ID,
        app_port=app.port,
        home=tmp / "home",
        http_port=0,
        resources_paths=(resources,),
    )
    clock = ManualClock(start=1_800_000_000.0)
    async with serve(app):
        sidecar = Sidecar(config, clock=clock, job_store=MemoryJobStore(), serve_http=False)
        async with sidecar:
            async with asyncio.timeout(20):
                await sidecar.ready.wait()
            transport = httpx.ASGITransport(app=sidecar.asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://sidecar") as client:
                yield Harness(sidecar, client, app, db)
