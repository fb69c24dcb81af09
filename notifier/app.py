"""The notifier app factory: idempotent intake, history, delivery."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request, Response, status
from fastapi_offline import FastAPIOffline

from appkit import edge
from appkit.http_client import pooled_client
from appkit.metrics import serve_metrics
from appkit.serve import log_ready
from appkit.tracing import AppTracing

from ._channels import EmailChannel, channels
from ._delivery import Deliverer, Jitter, Sleep
from ._errors import NotifierError
from ._metrics import NotifierMetrics
from ._routing import routing_table
from ._service import Intake, NotificationService
from ._settings import NotifierSettings
from ._store import StateStore
from .schemas import ErrorBody, IntakeResult, NotificationIn, NotificationList, NotificationOut

logger = logging.getLogger(__name__)
SIDECAR_ROUTES = ("POST /notifications", "* /dapr")  # the intake, by service invocation
API_ROUTES = ("GET /notifications", "* /dead-letters")


def get_service(request: Request) -> NotificationService:
    service: NotificationService = request.app.state.service
    return service


Service = Annotated[NotificationService, Depends(get_service)]


def create_app(
    settings: NotifierSettings | None = None,
    *,
    http_client: httpx.AsyncClient | None = None,
    sleep: Sleep | None = None,
    jitter: Jitter | None = None,
) -> FastAPI:
    """``http_client``, ``sleep`` and ``jitter`` are for tests (transport swap, no waiting)."""
    settings = settings or NotifierSettings.from_env(os.environ)
    table = routing_table(settings.routes_json, settings.webhook_url)
    metrics = NotifierMetrics()
    tracing = AppTracing(os.environ.get("APP_ID") or "notifier", os.environ)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            client = http_client
            if client is None:
                timeout = httpx.Timeout(settings.http_timeout)
                client = await stack.enter_async_context(pooled_client(timeout))
            tracing.instrument_client(client)
            stack.push_async_callback(tracing.close)
            hooks = {"sleep": sleep, "jitter": jitter, "metrics": metrics}
            app.state.service = _service(settings, table, client, hooks)
            log_ready(logger, "notifier", settings, f"state store {settings.state_store}")
            yield

    app = FastAPIOffline(  # /docs and /redoc with their assets served locally (no CDN)
        title="Notifier",
        description="Stores and delivers each notification once.",
        lifespan=lifespan,
    )
    edge.install(app)
    app.add_exception_handler(NotifierError, _error)
    guards = edge.app_token_guards(settings.app_api_token, SIDECAR_ROUTES)
    guards += edge.api_key_guards(settings.api_key, "NOTIFIER_API_KEY", API_ROUTES)
    app.add_middleware(edge.TokenGuard, guards=guards)
    _routes(app)
    serve_metrics(app, metrics.registry)
    tracing.instrument_app(app)
    return app


def _service(
    settings: NotifierSettings, table: Any, client: httpx.AsyncClient, hooks: dict[str, Any]
) -> NotificationService:
    store = StateStore(
        client, settings.dapr_http_endpoint, settings.state_store, settings.dapr_api_token
    )
    smtp = EmailChannel(
        settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.http_timeout
    )
    by_kind = channels(
        client,
        settings.dapr_http_endpoint,
        settings.dapr_api_token,
        settings.webhook_secret,
        smtp,
        time.time,
    )
    extra = {k: v for k, v in hooks.items() if v is not None}
    deliverer = Deliverer(
        table, by_kind, settings.webhook_attempts, settings.webhook_backoff_seconds, **extra
    )
    return NotificationService(store, deliverer, metrics=hooks.get("metrics"))


def _routes(app: FastAPI) -> None:
    errors: dict[int | str, dict[str, Any]] = {c: {"model": ErrorBody} for c in (401, 502, 503)}
    bad_body: dict[int | str, dict[str, Any]] = {c: {"model": ErrorBody} for c in (400, 415, 422)}

    @app.post(
        "/notifications",
        response_model=IntakeResult,
        status_code=201,
        responses={
            **errors,
            **bad_body,
            200: {"model": IntakeResult, "description": "Repeat of a delivered id."},
            202: {"model": IntakeResult, "description": "Stored; a channel failed: dead letter."},
        },
        summary="Store and deliver a notification (once per id)",
    )
    async def accept(body: NotificationIn, service: Service, response: Response) -> IntakeResult:
        outcome = await service.accept(body.model_dump())
        codes = {Intake.DUPLICATE: status.HTTP_200_OK, Intake.DEAD_LETTER: status.HTTP_202_ACCEPTED}
        response.status_code = codes.get(outcome, status.HTTP_201_CREATED)
        return IntakeResult(id=body.id, status=outcome.value)

    @app.get(
        "/dead-letters",
        response_model=NotificationList,
        responses=errors,
        summary="Notifications a channel still refused after its retries",
    )
    async def dead_letters(service: Service) -> Any:
        return {"notifications": await service.dead_letters()}

    @app.post(
        "/dead-letters/{notification_id}/replay",
        response_model=NotificationOut,
        responses={**errors, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
        summary="Deliver a dead letter's failed deliveries again (once)",
    )
    async def replay(notification_id: str, service: Service) -> Any:
        return await service.replay(notification_id)

    @app.get(
        "/notifications",
        response_model=NotificationList,
        responses=errors,
        summary="Stored notifications, optionally for one agent and task",
    )
    async def history(
        service: Service, agent_id: str | None = None, task_id: str | None = None
    ) -> Any:
        return {"notifications": await service.history(agent_id, task_id)}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}


async def _error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotifierError)
    logger.warning("%s", exc)
    return edge.error_json(exc.status, exc.code, exc.message)
