"""One translation of every error the agent can raise into JSON with the right status, in the
shape of :mod:`agent._edge` (which also answers FastAPI's and Starlette's own refusals)."""

from __future__ import annotations

import logging
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from actors import InvalidFieldError, InvalidIdError, TaskError
from appkit import edge
from appkit.edge import error_json, http_error, path_templates

from ._gateway import ActorCallFailedError
from ._sidecar_client import SidecarError

logger = logging.getLogger(__name__)

STATUS_BY_CODE = {
    "ERR_INVALID_ID": 400,
    "ERR_INVALID_JOB": 400,
    "ERR_INVALID_FIELD": 422,
    "ERR_INVALID_TIME": 422,
    "ERR_INVALID_DURATION": 422,
    "ERR_INVALID_RECURRENCE": 422,
    "ERR_DUE_DATE_IN_PAST": 422,
    "ERR_TASK_NOT_FOUND": 404,
    "ERR_TASK_CONFLICT": 409,
    "ERR_TASK_ID_CONFLICT": 409,
}
ID_PARAMS = frozenset({"agent_id", "task_id"})  # path parameters validated as ids (deps.py)


class InvalidJobError(InvalidFieldError):
    """The Jobs API refused a lab job for one of its values (the caller's mistake)."""

    default_code = "ERR_INVALID_JOB"


async def _task_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TaskError)
    status = STATUS_BY_CODE.get(exc.code, 400)
    return error_json(status, exc.code, exc.message, dict(exc.details))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    bad_param = _slashed_param(request) if exc.status_code == 404 else None
    if bad_param is not None:
        return await _task_error(request, bad_param)
    return await http_error(request, exc)


def _slashed_param(request: Request) -> TaskError | None:
    """Routing sees the decoded path, so ``a%2Fb`` in an id finds no route; matched against the
    raw path, the route is found and the parameter named."""
    raw = request.scope.get("raw_path", b"").split(b"?", 1)[0].decode("latin-1")
    for pattern, _ in path_templates(request):
        match = pattern.match(raw)
        for name, value in (match.groupdict() if match else {}).items():
            if "/" in unquote(value):
                return _bad_param(name, unquote(value))
    return None


def _bad_param(name: str, value: str) -> TaskError:
    if name in ID_PARAMS:
        return InvalidIdError(name, value)
    return InvalidFieldError(name, f"{value!r} must not contain '/'")


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
    edge.install(app)
    app.add_exception_handler(TaskError, _task_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ActorCallFailedError, _actor_failed)
    app.add_exception_handler(SidecarError, _sidecar_error)
