"""One sidecar: the daprd equivalent for one app. An async context manager with a clear lifecycle.

Start order follows daprd (dapr-sidecar.md §3.9): load resources, open stores and the scheduler,
serve the HTTP API (``/v1.0/healthz/outbound`` answers from here on), then wait for the app's port,
read its configuration, and only then start delivering its jobs and mark the sidecar ready.
Stopping has two steps, so that a runner can stop the app in between: ``drain`` (stop firing,
deactivate actors: everything that calls the app) and ``stop`` (HTTP server, stores, registry).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import httpx
import uvicorn
from httpx_aiohttp import HttpxAiohttpClient
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from ._app_channel import AppChannel
from ._clock import Clock, DevClock, SystemClock
from ._components import ComponentError, Resources, load_resources
from ._config import SidecarConfig
from ._registry import Entry, Registry
from .api import build_app
from .jobs import JobRecord, JobStore, Outcome, Scheduler, SqliteJobStore, app_owner
from .state import StateStore, build_state_store

log = logging.getLogger(__name__)
RUNTIME_VERSION = "1.18.3-local"


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: only the CLI entry point handles signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Extension(Protocol):
    """An optional runtime (actors, pub/sub) that plugs into the sidecar's lifecycle."""

    routes: list[BaseRoute]

    async def start(self) -> None: ...

    async def on_app_ready(self) -> None: ...

    def describe(self, metadata: dict[str, Any]) -> None: ...

    async def stop(self) -> None: ...


ExtensionFactory = Callable[["Sidecar"], Extension]


def default_extensions() -> list[ExtensionFactory]:
    """The optional runtimes shipped with the sidecar, in start order."""
    factories: list[ExtensionFactory] = []
    with contextlib.suppress(ImportError):
        from .pubsub import PubSubRuntime

        factories.append(PubSubRuntime)
    with contextlib.suppress(ImportError):
        from .actors import ActorRuntime

        factories.append(ActorRuntime)
    return factories


class Sidecar:
    """daprd for one app: HTTP API, app channel, stores, scheduler, registry entry."""

    def __init__(
        self,
        config: SidecarConfig,
        *,
        clock: Clock | None = None,
        job_store: JobStore | None = None,
        extensions: Sequence[ExtensionFactory] | None = None,
        serve_http: bool = True,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or (DevClock() if config.dev_clock else SystemClock())
        self.job_store: JobStore = job_store or SqliteJobStore(config.scheduler_db)
        self._own_store = job_store is None
        self.scheduler = Scheduler(self.job_store, self.clock)
        self.registry = Registry(config.home)
        self.internal_key = ""
        self.resources = Resources()
        self.state_stores: dict[str, StateStore] = {}
        # httpx's API over aiohttp's connection pool: several times faster under concurrency
        self.http: httpx.AsyncClient = HttpxAiohttpClient(
            timeout=httpx.Timeout(None, connect=5.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
        )
        self.app_channel: AppChannel | None = None
        if config.app_port:
            self.app_channel = AppChannel(
                self.http,
                config.app_host,
                config.app_port,
                app_id=config.app_id,
                token=config.app_token,
            )
        self.extensions = [
            f(self) for f in (default_extensions() if extensions is None else extensions)
        ]
        self.asgi: Starlette = build_app(self, [r for e in self.extensions for r in e.routes])
        self.extended: dict[str, str] = {"daprRuntimeVersion": RUNTIME_VERSION}
        self.ready = asyncio.Event()
        self.app_connected = asyncio.Event()
        self.shutdown_requested = asyncio.Event()
        self.force_shutdown = False
        self.instance = f"{config.app_id}:{os.getpid()}:{id(self):x}"
        self.http_port = 0
        self._serve_http = serve_http
        self._stack = AsyncExitStack()
        self._firing = AsyncExitStack()  # scheduler: closed first, when draining
        self._app_facing = AsyncExitStack()  # extensions, app connection: closed next
        self._counters: dict[str, itertools.count[int]] = {}

    # lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Sidecar:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _start(self) -> None:
        self.internal_key = self.registry.internal_key()
        self._stack.push_async_callback(self.http.aclose)
        self._stack.push_async_callback(self.registry.close)  # closed after everything using it
        await self._load_resources()
        if self._own_store:
            await self._stack.enter_async_context(self.job_store)
        self._stack.push_async_callback(self.drain)
        await self._firing.enter_async_context(self.scheduler)
        for ext in self.extensions:
            await ext.start()
            self._app_facing.push_async_callback(ext.stop)
        if self._serve_http:
            await self._start_server()
        await self.registry.register(self._entry())
        self._stack.push_async_callback(self.registry.unregister, self.instance)
        self._spawn(self._connect_app(), "connect app")
        log.info("sidecar %s started (HTTP port %s)", self.config.app_id, self.http_port)

    async def drain(self) -> None:
        """Stop everything that calls the app, while the app still runs: first stop firing jobs
        and reminders, then deactivate actors (a DELETE to the app each, dapr-sidecar.md §3.4,
        §3.7) and stop subscriptions. The HTTP API keeps serving until ``stop``. Idempotent."""
        await self._firing.aclose()
        await self._app_facing.aclose()

    async def stop(self) -> None:
        """Drain (if not done yet), then stop the HTTP server, stores and registry entry."""
        log.info("sidecar %s stopping", self.config.app_id)
        await self.drain()
        await self._stack.aclose()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=f"{self.config.app_id}: {name}")

        async def cancel() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

        self._firing.push_async_callback(cancel)

    async def _load_resources(self) -> None:
        self.resources = load_resources(self.config.resources_paths, self.config.app_id)
        known = ("state.", "pubsub.")
        for comp in self.resources.components:
            if not comp.type.startswith(known):
                raise ComponentError(
                    f"{comp.source}: component {comp.name!r} has unsupported type {comp.type!r}"
                    " (supported: state.sqlite, state.in-memory, pubsub.in-memory)"
                )
            if comp.type.startswith("state."):
                await self._open_state_store(comp)

    async def _open_state_store(self, comp: Any) -> None:
        try:
            store = build_state_store(
                comp.name,
                comp.type,
                comp.version,
                comp.metadata,
                self.clock,
                base_dir=Path.cwd(),
            )
        except ValueError as exc:
            raise ComponentError(f"{comp.source}: {exc}") from exc
        await store.open()
        self._stack.push_async_callback(store.close)
        self.state_stores[comp.name] = store

    async def _start_server(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
        sock.bind((self.config.listen_host, self.config.http_port))
        sock.listen(2048)
        sock.setblocking(False)
        self.http_port = sock.getsockname()[1]
        server = _QuietServer(
            uvicorn.Config(
                self.asgi,
                log_level="warning",
                lifespan="off",
                access_log=False,
                timeout_graceful_shutdown=int(self.config.graceful_shutdown_seconds),
            )
        )
        task = asyncio.create_task(server.serve(sockets=[sock]), name="sidecar http")

        async def shutdown() -> None:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, self.config.graceful_shutdown_seconds + 1)
            # A connection accepted just as uvicorn began shutting down is never told to close,
            # and in a runner the loop lives on: it would keep serving keep-alive requests.
            for connection in list(server.server_state.connections):
                connection.transport.close()
            sock.close()

        self._stack.push_async_callback(shutdown)
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)

    def _entry(self) -> Entry:
        return Entry(
            self.instance,
            self.config.app_id,
            self.config.namespace,
            self.config.listen_host,
            self.http_port,
            os.getpid(),
            time.time(),
        )

    async def _connect_app(self) -> None:
        if self.app_channel is not None:
            await self.app_channel.wait_until_listening()
            log.info("app %s is listening on port %s", self.config.app_id, self.config.app_port)
        self.app_connected.set()
        for ext in self.extensions:
            await ext.on_app_ready()
        owner = app_owner(self.config.namespace, self.config.app_id)
        self.scheduler.serve(owner, self.deliver_job)
        self.ready.set()

    # services used by the API -------------------------------------------------------------------

    async def deliver_job(self, record: JobRecord) -> Outcome:
        """POST /job/{name} to the app; 2xx and 404 end the attempt (dapr-jobs.md §3.1, §3.3)."""
        if self.app_channel is None:
            log.warning("job %s failed: app channel not initialized", record.name)
            return Outcome.FAILED
        body = record.spec.data.encode() if record.spec.data is not None else b""
        try:
            resp = await self.app_channel.request(
                "POST",
                f"job/{record.name}",
                content=body,
                headers={"content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            log.warning("job %s delivery failed: %r", record.name, exc)
            return Outcome.FAILED
        if resp.status_code == 404:
            log.error("job %s: app answered 404; not retried", record.name)
        ok = 200 <= resp.status_code < 300 or resp.status_code == 404
        if not ok:
            log.warning("job %s: app answered %s", record.name, resp.status_code)
        return Outcome.SUCCESS if ok else Outcome.FAILED

    def next_index(self, key: str, n: int) -> int:
        """Round-robin position for load-balancing calls over ``n`` replicas."""
        counter = self._counters.setdefault(key, itertools.count())
        return next(counter) % n

    def clock_moved(self) -> None:
        self.scheduler.wake()

    def request_shutdown(self, *, force: bool = False) -> None:
        self.force_shutdown = force
        self.shutdown_requested.set()

    def not_ready_targets(self) -> list[str]:
        return [] if self.ready.is_set() else ["app"]

    def metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.config.app_id,
            "runtimeVersion": RUNTIME_VERSION,
            "enabledFeatures": [],
            "components": [
                {
                    "name": s.name,
                    "type": s.component_type,
                    "version": "v1",
                    "capabilities": list(s.capabilities),
                }
                for s in self.state_stores.values()
            ],
            "extended": dict(self.extended),
        }
        if self.config.app_port:
            out["appConnectionProperties"] = {
                "port": self.config.app_port,
                "protocol": "http",
                "channelAddress": self.config.app_host,
            }
        for ext in self.extensions:
            ext.describe(out)
        return out
