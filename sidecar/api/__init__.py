"""The sidecar's HTTP API as one Starlette app: daprd's routes, then invocation as the fallback."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from .._errors import DaprError
from ..tracing import TraceContextMiddleware
from . import dev, health, invoke, jobs, state
from ._common import error_response
from ._middleware import ApiTokenMiddleware, BodyLimitMiddleware, CancelOnDisconnect

if TYPE_CHECKING:
    from .._sidecar import Sidecar

log = logging.getLogger(__name__)


async def _dapr_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DaprError)
    return error_response(exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error serving %s %s", request.method, request.url.path)
    return error_response(DaprError(500, "ERR_INTERNAL", f"internal error: {exc}"))


def build_app(sidecar: Sidecar, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The ASGI app for one sidecar; ``extra_routes`` come from optional runtimes (actors, ...)."""
    routes: list[BaseRoute] = [*health.routes, *jobs.routes, *state.routes, *invoke.routes]
    routes += extra_routes or []
    if sidecar.config.dev_clock:
        routes += dev.routes
    routes.append(invoke.fallback)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TraceContextMiddleware),
            Middleware(ApiTokenMiddleware, token=sidecar.config.api_token),
            Middleware(BodyLimitMiddleware, limit=sidecar.config.max_body_size),
            Middleware(CancelOnDisconnect),
        ],
        exception_handlers={DaprError: _dapr_error, Exception: _unexpected},
    )
    app.state.sidecar = sidecar
    return app
