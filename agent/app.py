"""The agent app factory: task API, job trigger router, lab, and the actor host."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from dapr.ext.fastapi import DaprActor
from fastapi import FastAPI
from httpx_aiohttp import HttpxAiohttpClient

from actors import Clock, PlainJSONSerializer, ProjectManagementAgent
from appkit import edge

from . import _errors, _mcp
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
    tools = _mcp.build_server(lambda: app.state.runtime.gateway)
    mcp_endpoint = _mcp.Endpoint()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            client = http_client
            if client is None:
                timeout = httpx.Timeout(settings.http_timeout)
                client = await stack.enter_async_context(pooled_client(timeout))
            runtime = AgentRuntime.build(settings, client, clock)
            app.state.runtime = runtime
            await _register(dapr_actor, runtime)
            await stack.enter_async_context(self_check(runtime))
            await stack.enter_async_context(_mcp.serving(tools, mcp_endpoint, settings.app_host))
            logger.info(
                "agent ready on http://%s:%d (API docs /docs); sidecar %s",
                settings.app_host,
                settings.app_port,
                settings.dapr_http_endpoint,
            )
            yield

    app = FastAPI(
        title="ProjectManagementAgent",
        description="Task assignment with Dapr Jobs reminders, and the TaskExecutorService lab.",
        lifespan=lifespan,
    )
    dapr_actor = DaprActor(app)
    _errors.install(app)
    app.add_middleware(edge.TokenGuard, guards=_guards(settings))
    for router in (agents.router, tasks.router, jobs.router, lab.router):
        app.include_router(router)
    app.router.routes.append(_mcp.route(mcp_endpoint))
    app.state.mcp = tools
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


def pooled_client(timeout: httpx.Timeout) -> httpx.AsyncClient:
    """httpx's API over aiohttp's connection pool, which stays fast under many concurrent calls."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=128)
    return HttpxAiohttpClient(timeout=timeout, limits=limits)
