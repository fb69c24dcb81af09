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
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from starlette.applications import Starlette

from ._app_health import AppHealthProbe, HealthSettings
from ._channels import channel_for
from ._config import RUNTIME_VERSION, SidecarConfig
from ._http_server import listen, raise_open_file_limit
from ._http_server import server as http_server
from .api import build_app
from .app_channel import AppChannel, outbound_client
from .clock import Clock, DevClock, SystemClock
from .components import (
    ComponentError,
    Resources,
    default_components,
    init_failure,
    load_resources,
)
from .grpc_api import GrpcApi
from .jobs import JobRecord, JobStore, Outcome, Scheduler, SqliteJobStore, app_owner
from .lock import LockStore, open_lock_store
from .metrics import LoopStallProbe, SidecarMetrics, metrics_app
from .registry import Entry, Registry
from .secrets import SecretStore, load_secret_stores
from .services import ExtensionFactory, Identity
from .state import StateStore, StateStoreError, build_state_store
from .state.operations import Outbox
from .tracing import Tracing

log = logging.getLogger(__name__)
# Outbound connections (to the app and other sidecars) at once; above the scheduler's deliveries
OUTBOUND_CONNECTIONS = 2048
METADATA_ORDER = (  # the order of daprd's metadata fields
    "id",
    "runtimeVersion",
    "enabledFeatures",
    "actors",
    "components",
    "extended",
    "subscriptions",
    "appConnectionProperties",
    "actorRuntime",
)


def default_extensions() -> list[ExtensionFactory]:
    """The runtimes shipped with the sidecar, in start order (an import error is a real error)."""
    from .actors import ActorRuntime
    from .pubsub import PubSubRuntime

    return [PubSubRuntime, ActorRuntime]


class Sidecar:
    """daprd for one app: HTTP API, app channel, stores, scheduler, registry entry.

    It provides the services its parts use (``services.ApiServices`` to the routes,
    ``services.ExtensionServices`` to the extensions) and hands them itself.
    """

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
        self.job_store: JobStore = job_store or SqliteJobStore(
            config.scheduler_db, synchronous=config.job_sync
        )
        self._own_store = job_store is None
        self.metrics = (
            SidecarMetrics(config.app_id, increased_cardinality=config.metrics_path_labels)
            if config.metrics_port is not None
            else None
        )
        self.scheduler = Scheduler(self.job_store, self.clock, observer=self.metrics)
        spec = config.tracing
        self.tracing = Tracing(spec, config.app_id) if spec is not None and spec.enabled else None
        self.registry = Registry(config.home)
        self.internal_key = ""
        self.resources = Resources()
        self.state_stores: dict[str, StateStore] = {}
        self.secret_stores: dict[str, SecretStore] = {}
        self.lock_stores: dict[str, LockStore] = {}
        self.http: httpx.AsyncClient = outbound_client(OUTBOUND_CONNECTIONS)
        self.app_channel: AppChannel | None = channel_for(config, self.http, self.metrics)
        self.instance = f"{config.app_id}:{os.getpid()}:{id(self):x}"
        self.identity = Identity(config.app_id, config.namespace, self.instance)
        self.extensions = [
            f(self) for f in (default_extensions() if extensions is None else extensions)
        ]
        self.asgi: Starlette = build_app(
            self,
            [r for e in self.extensions for r in e.routes],
            api_token=config.api_token,
            max_body_size=config.max_body_size,
            dev_clock=config.dev_clock,
            metrics=self.metrics,
            tracer=self.tracing.tracer if self.tracing is not None else None,
        )
        self.extended: dict[str, str] = {"daprRuntimeVersion": RUNTIME_VERSION}
        self.ready = asyncio.Event()
        self.app_connected = asyncio.Event()
        self.shutdown_requested = asyncio.Event()
        self.force_shutdown = False
        self.http_port = 0
        self.grpc_port = 0
        self.metrics_port = 0
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
        if self.app_channel is not None:
            self._stack.push_async_callback(self.app_channel.aclose)
        if self.tracing is not None:
            self._stack.push_async_callback(self.tracing.close)
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
            self.http_port = await self._serve(self.asgi, self.config.http_port, "http")
            await self._start_grpc()
        if self.metrics is not None:
            await self._start_metrics(self.metrics)
        await self.registry.register(self._entry())
        self._stack.push_async_callback(self.registry.unregister, self.instance)
        self._spawn(self._connect_app(), "connect app")
        log.info(
            "sidecar %s started (HTTP port %s, gRPC port %s)",
            self.config.app_id,
            self.http_port,
            self.grpc_port,
        )

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
        resources = load_resources(self.config.resources_paths, self.config.app_id)
        if self.config.default_components:
            resources.components.extend(default_components(self.config.home))
        self.secret_stores, self.resources = load_secret_stores(resources, Path.cwd())
        known = ("state.", "pubsub.", "secretstores.", "lock.")
        for comp in self.resources.components:
            if not comp.type.startswith(known):
                raise ComponentError(
                    f"{comp.source}: component {comp.name!r} has unsupported type {comp.type!r}"
                    " (supported: state.sqlite, state.in-memory, state.redis, state.postgresql,"
                    " pubsub.in-memory, pubsub.redis, lock.redis, secretstores.local.env,"
                    " secretstores.local.file)"
                )
            if comp.type.startswith("state."):
                await self._open_state_store(comp)
            elif comp.type.startswith("lock."):
                self.lock_stores[comp.name] = await open_lock_store(comp, self._stack)

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
        try:
            await store.open()
        except StateStoreError as exc:
            raise init_failure(comp, exc) from exc
        self._stack.push_async_callback(store.close)
        self.state_stores[comp.name] = store

    async def _start_metrics(self, metrics: SidecarMetrics) -> None:
        metrics.pending_jobs = lambda: self.job_store.count(self.scheduler.owners)
        metrics.loaded([c.type for c in self.resources.components])
        port = self.config.metrics_port or 0
        self.metrics_port = await self._serve(metrics_app(metrics), port, "metrics")
        self._spawn(LoopStallProbe(metrics).run(), "loop stall probe")
        log.info("sidecar %s metrics on port %s", self.config.app_id, self.metrics_port)

    async def _serve(self, asgi: Any, port: int, name: str) -> int:
        """Serve ``asgi`` on ``port`` (0: a free one) until ``stop``; returns the port."""
        raise_open_file_limit()
        sock = listen(self.config.listen_host, port)
        server = http_server(asgi, graceful_seconds=self.config.graceful_shutdown_seconds)
        task = asyncio.create_task(server.serve(sockets=[sock]), name=f"sidecar {name}")

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
        return int(sock.getsockname()[1])

    async def _start_grpc(self) -> None:
        """The gRPC API on ``grpc_port`` (0: a free one), on this loop beside the HTTP API."""
        cfg = self.config
        api = GrpcApi(
            self, self.extensions, api_token=cfg.api_token, max_message_size=cfg.max_body_size
        )
        self.grpc_port = await api.start(self.config.listen_host, self.config.grpc_port)
        self._stack.push_async_callback(api.stop, self.config.graceful_shutdown_seconds)

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
        try:
            await self._connect_app_steps()
        except Exception:
            log.exception("sidecar %s: connecting to the app failed; stopping", self.config.app_id)
            self.request_shutdown(force=True)
            raise

    async def _connect_app_steps(self) -> None:
        if self.app_channel is not None:
            await self.app_channel.wait_until_listening()
            log.info("app %s is listening on port %s", self.config.app_id, self.config.app_port)
        self.app_connected.set()
        for ext in self.extensions:
            await ext.on_app_ready()
        owner = app_owner(self.config.namespace, self.config.app_id)
        self.scheduler.serve(owner, self.deliver_job)
        if self.config.enable_app_health_check and self.app_channel is not None:
            self._spawn(self._health_probe(self.app_channel).run(), "app health")
        self.ready.set()

    def _health_probe(self, channel: AppChannel) -> AppHealthProbe:
        cfg = self.config
        settings = HealthSettings(
            cfg.app_health_check_path,
            cfg.app_health_probe_interval,
            cfg.app_health_probe_timeout,
            cfg.app_health_threshold,
        )

        def changed(healthy: bool) -> None:
            channel.healthy = healthy
            self.scheduler.resume() if healthy else self.scheduler.pause()

        name = f"{cfg.app_id} ({channel.protocol} {channel.host}:{channel.port})"
        return AppHealthProbe(channel.probe_health, name, settings, changed)

    # services its parts use (services.py) -------------------------------------------------------

    @property
    def actors_enabled(self) -> bool:
        return self.config.placement

    async def deliver_job(self, record: JobRecord) -> Outcome:
        """The trigger to the app; delivered, or not to be retried, ends the attempt
        (dapr-jobs.md §3.1 - §3.3)."""
        if self.app_channel is None:
            log.warning("job %s failed: app channel not initialized", record.name)
            return Outcome.FAILED
        spec = record.spec
        ended = await self.app_channel.trigger_job(record.name, spec.data, spec.data_type)
        return Outcome.SUCCESS if ended else Outcome.FAILED

    def next_index(self, key: str, n: int) -> int:
        """Round-robin position for load-balancing calls over ``n`` replicas."""
        counter = self._counters.setdefault(key, itertools.count())
        return next(counter) % n

    def clock_moved(self) -> None:
        self.scheduler.wake()

    def request_shutdown(self, *, force: bool = False) -> None:
        self.force_shutdown = force
        self.shutdown_requested.set()

    @property
    def outbox(self) -> Outbox | None:
        found = (getattr(e, "outbox", None) for e in self.extensions)
        return next((o for o in found if o is not None), None)

    def not_ready_targets(self) -> list[str]:
        return [] if self.ready.is_set() else ["app"]

    def set_metadata(self, key: str, value: str) -> None:
        self.extended[key] = value

    def metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.config.app_id,
            "runtimeVersion": RUNTIME_VERSION,
            "enabledFeatures": list(self.config.enabled_features),
            "components": [
                {
                    "name": s.name,
                    "type": s.component_type,
                    "version": "v1",
                    "capabilities": list(s.capabilities),
                }
                for s in self.state_stores.values()
            ]
            + [
                {"name": s.name, "type": s.component_type, "version": "v1", "capabilities": []}
                for s in self.secret_stores.values()
            ]
            + [
                {"name": s.name, "type": s.component_type, "version": s.version, "capabilities": []}
                for s in self.lock_stores.values()
            ],
            "extended": dict(self.extended),
        }
        if self.config.app_port:
            out["appConnectionProperties"] = {
                "port": self.config.app_port,
                "protocol": self.app_channel.protocol if self.app_channel else "http",
                "channelAddress": self.config.app_host,
            }
        for ext in self.extensions:
            ext.describe(out)
        loaded = [c.name for c in self.resources.components]  # daprd lists them in load order
        out["components"].sort(key=lambda c: loaded.index(c["name"]) if c["name"] in loaded else 0)
        first = {k: out.pop(k) for k in METADATA_ORDER if k in out}
        return first | out
