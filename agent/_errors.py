"""One translation of every error the agent can raise into JSON with the right status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from actors import TaskError

from ._gateway import ActorCallFailedError
from ._sidecar import SidecarError

logger = logging.getLogger(__name__)

STATUS_BY_CODE = {
    "ERR_INVALID_ID": 400,
    "ERR_INVALID_FIELD": 422,
    "ERR_INVALID_TIME": 422,
    "ERR_INVALID_DURATION": 422,
    "ERR_DUE_DATE_IN_PAST": 422,
    "ERR_TASK_NOT_FOUND": 404,
    "ERR_TASK_CONFLICT": 409,
    "ERR_TASK_ID_CONFLICT": 409,
}


def error_json(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    body = {"errorCode": code, "message": message, "details": details or {}}
    return JSONResponse(body, status)


async def _task_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TaskError)
    status = STATUS_BY_CODE.get(exc.code, 400)
    return error_json(status, exc.code, exc.message, dict(exc.details))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"][1:]) or "body"
    return error_json(
        422, "ERR_INVALID_FIELD", f"invalid {field}: {first['msg']}", {"field": field}
    )


async def _actor_failed(_: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s", exc)
    return error_json(502, "ERR_ACTOR_CALL_FAILED", str(exc))


async def _sidecar_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SidecarError)
    logger.warning("%s", exc)
    status = exc.status if 400 <= exc.status < 500 else 502
    status = 503 if exc.error_code == "ERR_SIDECAR_UNAVAILABLE" else status
    return error_json(status, exc.error_code, exc.message, {"sidecar_status": exc.status})


def install(app: FastAPI) -> None:
    app.add_exception_handler(TaskError, _task_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ActorCallFailedError, _actor_failed)
    app.add_exception_handler(SidecarError, _sidecar_error)
