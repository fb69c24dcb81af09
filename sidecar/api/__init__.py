"""The sidecar's HTTP API as one Starlette app: daprd's routes, then invocation as the fallback."""

from __future__ import annotations

import logging

from opentelemetry.trace import Tracer
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..dapr_errors import DaprError
from ..metrics import ServerMetricsMiddleware, SidecarMetrics
from ..services import ApiServices
from ..tracing import TraceContextMiddleware
from ..web import error_response
from . import dev, health, invoke, jobs, lock, page, secrets, state
from ._middleware import ApiTokenMiddleware, BodyLimitMiddleware, CancelOnDisconnect

log = logging.getLogger(__name__)


async def _dapr_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DaprError)
    return error_response(exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error serving %s %s", request.method, request.url.path)
    return error_response(DaprError(500, "ERR_INTERNAL", f"internal error: {exc}"))


def build_app(
    services: ApiServices,
    extra_routes: list[BaseRoute] | None = None,
    *,
    api_token: str | None = None,
    max_body_size: int,
    dev_clock: bool = False,
    metrics: SidecarMetrics | None = None,
    tracer: Tracer | None = None,
) -> Starlette:
    """The ASGI app for one sidecar; ``extra_routes`` come from optional runtimes (actors, ...).

    ``dev_clock`` mounts the dev clock routes; ``api_token`` is required on every call but health;
    ``metrics`` records every request (daprd's ``dapr_http_server_*``); ``tracer`` gives each
    one a span (tracing on).
    """
    routes: list[BaseRoute] = [*health.routes, *jobs.routes, *state.routes, *secrets.routes]
    routes += lock.routes
    routes += invoke.routes + page.routes
    routes += extra_routes or []
    if dev_clock:
        routes += dev.routes
    routes.append(invoke.fallback)
    measured = [Middleware(ServerMetricsMiddleware, metrics=metrics)] if metrics else []
    app = Starlette(
        routes=routes,
        middleware=[
            *measured,
            Middleware(TraceContextMiddleware, tracer=tracer),
            Middleware(ApiTokenMiddleware, token=api_token),
            Middleware(BodyLimitMiddleware, limit=max_body_size),
            Middleware(CancelOnDisconnect),
        ],
        exception_handlers={DaprError: _dapr_error, Exception: _unexpected},
    )
    app.state.services = services
    return app
