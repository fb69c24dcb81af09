"""The agent app factory: task API, job trigger router, lab, and the actor host."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from dapr.ext.fastapi import DaprActor
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from actors import Clock, PlainJSONSerializer, ProjectManagementAgent
from appkit import edge
from appkit.http_client import pooled_client
from appkit.metrics import serve_metrics
from appkit.serve import log_ready
from appkit.tracing import AppTracing

from . import _errors, _mcp, console
from ._metrics import AgentMetrics, AnswerCounter
from ._runtime import AgentRuntime
from ._self_check import self_check
from ._settings import AgentSettings
from .routes import agents, jobs, lab, tasks

logger = logging.getLogger(__name__)
SIDECAR_ROUTES = ("* /job", "* /actors", "* /dapr")  # job triggers, the SDK's actor host
API_ROUTES = ("* /agents", "* /programmatic", "* /executeScheduledTask", "* /mcp")


def create_app(
    settings: AgentSettings | None = None,
    *,
    http_client: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the app; ``http_client`` and ``clock`` are for tests (transport swap, manual time)."""
    settings = settings or AgentSettings.from_env(os.environ)
    dapr_actor: DaprActor | None = None
    tracing = AppTracing(os.environ.get("APP_ID") or "pm-agent", os.environ)
    tools = _mcp.build_server(lambda: app.state.runtime.gateway)
    mcp_endpoint = _mcp.Endpoint()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            client = http_client
            if client is None:
                timeout = httpx.Timeout(settings.http_timeout)
                client = await stack.enter_async_context(pooled_client(timeout))
            tracing.instrument_client(client)
            stack.push_async_callback(tracing.close)
            runtime = AgentRuntime.build(settings, client, clock)
            app.state.runtime = runtime
            await _register(dapr_actor, runtime)
            await stack.enter_async_context(self_check(runtime))
            await stack.enter_async_context(_mcp.serving(tools, mcp_endpoint, settings.app_host))
            log_ready(logger, "agent", settings)
            yield

    app = FastAPIOffline(  # /docs and /redoc with their assets served locally (no CDN)
        title="ProjectManagementAgent",
        description="Task assignment with Dapr Jobs reminders, and the TaskExecutorService lab.",
        lifespan=lifespan,
    )
    dapr_actor = DaprActor(app)
    _errors.install(app)
    app.add_middleware(edge.TokenGuard, guards=_guards(settings))
    metrics = AgentMetrics()
    app.add_middleware(AnswerCounter, metrics=metrics)
    for router in (agents.router, tasks.router, jobs.router, lab.router):
        app.include_router(router)
    app.router.routes.append(_mcp.route(mcp_endpoint))
    app.state.mcp = tools
    console.install(app, settings.api_key)
    serve_metrics(app, metrics.registry)
    tracing.instrument_app(app)
    return app


def _guards(settings: AgentSettings) -> list[edge.Guard]:
    return [
        *edge.app_token_guards(settings.app_api_token, SIDECAR_ROUTES),
        *edge.api_key_guards(settings.api_key, "PM_API_KEY", API_ROUTES),
    ]


async def _register(dapr_actor: DaprActor | None, runtime: AgentRuntime) -> None:
    assert dapr_actor is not None
    serializer = PlainJSONSerializer()
    await dapr_actor.register_actor(
        ProjectManagementAgent,
        message_serializer=serializer,
        state_serializer=serializer,
        actor_factory=runtime.create_actor,
        actor_client=runtime.actor_client,
    )
