"""A real sidecar (HTTP on a free port) with pub/sub, and a tiny recording app run by uvicorn.

``harness(...)`` starts both; the app answers ``GET /dapr/subscribe`` with the given list (404 when
None) and records every other POST. Tests wait on the recorder's queue with bounded timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sidecar._config import SidecarConfig
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock
from sidecar.jobs import MemoryJobStore
from sidecar.pubsub import PubSubRuntime

START = 1_800_000_000.0
COMPONENT = """apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: {name}
spec:
  type: {type}
  version: v1
  metadata: {metadata}
"""
TIMEOUT = 5.0


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# an answer, or how to answer a request's body (a bulk envelope's per-entry statuses)
Answer = tuple[int, bytes] | Callable[[bytes], tuple[int, bytes]]


@dataclass
class RecordingApp:
    subscriptions: Any
    responses: dict[str, Answer] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    deliveries: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)
    subscribe_headers: list[dict[str, str]] = field(default_factory=list)

    async def subscribe(self, request: Request) -> Response:
        self.subscribe_headers.append(dict(request.headers))
        if self.subscriptions is None:
            return Response(status_code=404)
        return Response(json.dumps(self.subscriptions), media_type="application/json")

    async def record(self, request: Request) -> Response:
        path = request.url.path
        delivery = Delivery(path, dict(request.headers), await request.body())
        self.deliveries.put_nowait(delivery)
        gate = self.gates.get(path)
        if gate is not None:
            await asyncio.wait_for(gate.wait(), TIMEOUT)
        answer = self.responses.get(path, (200, b""))
        status, body = answer(delivery.body) if callable(answer) else answer
        return Response(body, status_code=status, media_type="application/json")

    async def next(self) -> Delivery:
        return await asyncio.wait_for(self.deliveries.get(), TIMEOUT)

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/dapr/subscribe", self.subscribe, methods=["GET"]),
                Route("/{path:path}", self.record, methods=["POST"]),
            ]
        )


@dataclass
class Harness:
    app: RecordingApp
    sidecar: Sidecar
    client: httpx.AsyncClient
    clock: ManualClock

    @property
    def runtime(self) -> PubSubRuntime:
        ext = self.sidecar.extensions[0]
        assert isinstance(ext, PubSubRuntime)
        return ext

    async def publish(self, path: str, body: bytes | str = b"", **kw: Any) -> httpx.Response:
        return await self.client.post(path, content=body, **kw)


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue here until uvicorn accepts them: no start-up polling
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def _serve(app: RecordingApp) -> AsyncIterator[int]:
    sock = _listening_socket()
    config = uvicorn.Config(app.asgi(), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, TIMEOUT)
        sock.close()


def _resources(folder: Path, components: list[tuple[str, str]], extra: str, kind: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, metadata in components:
        text = COMPONENT.format(name=name, metadata=metadata, type=kind)
        (folder / f"{name}.yaml").write_text(text)
    if extra:
        (folder / "extra.yaml").write_text(extra)
    return folder


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    """``await harness(subscriptions=[...], components=[("pubsub", "[]")], extra_yaml="")``;
    ``component_type`` is the components' type (``pubsub.in-memory`` unless given), ``app_id``
    the sidecar's (``a``)."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            subscriptions: Any = None,
            components: list[tuple[str, str]] | None = None,
            extra_yaml: str = "",
            responses: dict[str, Answer] | None = None,
            component_type: str = "pubsub.in-memory",
            app_id: str = "a",
        ) -> Harness:
            app = RecordingApp(subscriptions, responses or {})
            port = await stack.enter_async_context(_serve(app))
            comps = [("pubsub", "[]")] if components is None else components
            folder = _resources(tmp_path / "resources", comps, extra_yaml, component_type)
            clock = ManualClock(START)
            config = SidecarConfig(
                app_id=app_id,
                app_port=port,
                http_port=0,
                home=tmp_path / "home",
                resources_paths=(folder,),
            )
            sidecar = Sidecar(
                config, clock=clock, job_store=MemoryJobStore(), extensions=[PubSubRuntime]
            )
            await stack.enter_async_context(sidecar)
            await asyncio.wait_for(sidecar.ready.wait(), TIMEOUT)
            client = await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{sidecar.http_port}")
            )
            return Harness(app, sidecar, client, clock)

        yield start
