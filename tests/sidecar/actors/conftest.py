"""Fixtures that run the actor runtime for real: in-process sidecars, the actor app as a uvicorn
subprocess using the SDK's DaprActor, and SDK clients (ActorProxy) on a worker thread."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from sidecar._config import SidecarConfig
from sidecar._runner import free_port
from sidecar._sidecar import Sidecar
from tests.integration._components import component, dump
from tests.integration._processes import WAIT

ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def write_resources(folder: Path, db: Path, *, actor_store: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = component(
        "actorstore",
        "state.sqlite",
        {"name": "connectionString", "value": str(db)},
        {"name": "actorStateStore", "value": "true" if actor_store else "false"},
    )
    (folder / "state.yaml").write_text(dump(doc))
    return folder


async def start_app(
    port: int, sidecar_port: int, idle: float = 3600, drain: float | None = None
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DAPR_HTTP_PORT": str(sidecar_port),
        "ACTOR_IDLE_TIMEOUT": str(idle),
        "PYTHONPATH": str(ROOT),
    }
    if drain is not None:
        env["ACTOR_DRAIN_TIMEOUT"] = str(drain)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "tests.sidecar.actors.actor_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        cwd=ROOT,
        env=env,
    )


async def stop_app(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        await proc.wait()


@dataclass
class Runtime:
    """Sidecars and apps of one runtime home; stopped in reverse order at teardown."""

    home: Path
    resources: Path
    sidecars: list[Sidecar] = field(default_factory=list)
    apps: dict[Sidecar, asyncio.subprocess.Process] = field(default_factory=dict)

    async def sidecar(
        self,
        app_id: str = "actorapp",
        *,
        app: bool = True,
        idle: float = 3600,
        drain: float | None = None,
        resources: Path | None = None,
    ) -> Sidecar:
        """Start a sidecar (and its actor app) and wait until the sidecar is ready."""
        app_port = free_port() if app else None
        config = SidecarConfig(
            app_id=app_id,
            app_port=app_port,
            http_port=0,
            home=self.home,
            resources_paths=(resources or self.resources,),
        )
        sc = Sidecar(config)
        await sc.start()
        self.sidecars.append(sc)
        if app_port is not None:
            self.apps[sc] = await start_app(app_port, sc.http_port, idle, drain)
        await self._ready(sc)
        return sc

    async def _ready(self, sc: Sidecar) -> None:
        """Until ``sc`` is ready (its app started and configured), within :data:`WAIT`; fails at
        once, saying so, if the app exits first (its output is in the test's captured output)."""
        app = self.apps.get(sc)
        waits = [asyncio.ensure_future(sc.ready.wait())]
        waits += [asyncio.ensure_future(app.wait())] if app is not None else []
        try:
            await asyncio.wait(waits, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if app is not None and app.returncode is not None and not sc.ready.is_set():
            raise AssertionError(f"the actor app exited with {app.returncode} before ready")
        assert sc.ready.is_set(), f"sidecar {sc.config.app_id} not ready within {WAIT} s"

    async def stop(self, sc: Sidecar) -> None:
        proc = self.apps.pop(sc, None)
        await sc.stop()
        self.sidecars.remove(sc)
        if proc is not None:
            await stop_app(proc)

    async def close(self) -> None:
        for sc in reversed(list(self.sidecars)):
            await self.stop(sc)


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    resources = write_resources(tmp_path / "resources", tmp_path / "state.db")
    rt = Runtime(tmp_path / "home", resources)
    try:
        yield rt
    finally:
        await rt.close()


async def with_sdk(port: int, fn: Callable[[], Awaitable[T]]) -> T:
    """Run SDK client code against the sidecar on ``port``, on a thread with its own loop
    (the SDK's start-up health wait blocks, and the sidecar serves on this test's loop)."""
    before = os.environ.get("DAPR_HTTP_PORT")
    os.environ["DAPR_HTTP_PORT"] = str(port)

    async def run() -> T:
        return await fn()

    try:
        return await asyncio.to_thread(asyncio.run, run())
    finally:
        if before is None:
            os.environ.pop("DAPR_HTTP_PORT", None)
        else:
            os.environ["DAPR_HTTP_PORT"] = before


def proxy(actor_type: str, actor_id: str) -> Any:
    from dapr.actor import ActorId, ActorProxy

    from .actor_app import TestActorInterface

    return ActorProxy.create(actor_type, ActorId(actor_id), TestActorInterface)


def api(sc: Sidecar) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{sc.http_port}", timeout=30)


async def poll(check: Callable[[], Awaitable[T | None]], timeout: float = WAIT) -> T:
    """Re-run ``check`` until it returns a truthy value; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.05)
