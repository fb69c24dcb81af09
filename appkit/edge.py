"""The HTTP edge both apps share: who may call which route, the error shape, and FastAPI's and
Starlette's own refusals in it.

Every error answer is
``{"errorCode", "message", "details"}``, ``details.field`` naming the field at fault if any.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send


def error_json(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"errorCode": code, "message": message, "details": dict(details or {})}
    return JSONResponse(body, status, headers=headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """A body that is not JSON (400), not sent as JSON (415), or a field that does not fit (422)."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    if first["type"] == "json_invalid":
        reason = f"{first.get('ctx', {}).get('error', 'JSON decode error')} at byte {loc[-1]}"
        return _bad_body(400, "ERR_INVALID_JSON", f"body is not valid JSON: {reason}")
    if loc == ("body",) and isinstance(first.get("input"), bytes):  # not parsed: not JSON
        kind = request.headers.get("content-type") or "none"
        message = f"body must be JSON with content-type application/json, not {kind!r}"
        return _bad_body(415, "ERR_UNSUPPORTED_MEDIA_TYPE", message)
    field = ".".join(str(p) for p in loc[1:]) or "body"
    return error_json(
        422, "ERR_INVALID_FIELD", f"invalid {field}: {first['msg']}", {"field": field}
    )


def _bad_body(status: int, code: str, message: str) -> JSONResponse:
    return error_json(status, code, message, {"field": "body"})


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's refusals: no route, wrong method, a body FastAPI could not decode."""
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    if isinstance(exc.__cause__, UnicodeDecodeError):
        return _bad_body(400, "ERR_INVALID_JSON", f"body is not valid UTF-8: {exc.__cause__}")
    if exc.status_code == 405:
        allowed = ", ".join(_methods_on(request))
        message = f"{where}: method not allowed (allowed: {allowed})"
        return error_json(405, "ERR_METHOD_NOT_ALLOWED", message, headers={"Allow": allowed})
    message = f"no route for {where}" if exc.status_code == 404 else f"{where}: {exc.detail}"
    code = f"ERR_{HTTPStatus(exc.status_code).name}"
    return error_json(exc.status_code, code, message, headers=exc.headers)


def _methods_on(request: Request) -> list[str]:
    """Starlette's ``Allow`` names only the first route on the path; this names them all."""
    found = {
        m.upper() for p, ops in path_templates(request) if p.match(request.url.path) for m in ops
    }
    return sorted(found)


def path_templates(request: Request) -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    """The app's path templates (from its OpenAPI document), compiled, with their operations."""
    paths: dict[str, dict[str, Any]] = request.app.openapi()["paths"]
    return [(compile_path(template)[0], ops) for template, ops in paths.items()]


@dataclass(frozen=True)
class Guard:
    """Requests to ``routes`` (``"METHOD /prefix"``, ``*`` for any method) must carry ``secret``
    in ``header``, after ``scheme`` and a space when a scheme is given."""

    routes: tuple[str, ...]
    header: str
    secret: str
    scheme: str
    code: str
    message: str

    def covers(self, method: str, path: str) -> bool:
        method = "GET" if method == "HEAD" else method
        for want, prefix in (route.split(" ", 1) for route in self.routes):
            if want in ("*", method) and (path == prefix or path.startswith(prefix + "/")):
                return True
        return False

    def accepts(self, headers: Sequence[tuple[bytes, bytes]]) -> bool:
        given = next((v for k, v in headers if k.lower() == self.header.encode()), b"")
        if self.scheme:
            scheme, _, given = given.partition(b" ")
            given = given if scheme.lower() == self.scheme.lower().encode() else b""
        return hmac.compare_digest(given, self.secret.encode())


def app_token_guards(token: str | None, routes: tuple[str, ...]) -> list[Guard]:
    """The routes the sidecar calls need its ``APP_API_TOKEN`` (daprd sends ``dapr-api-token``)."""
    if not token:
        return []
    message = "missing or wrong dapr-api-token: only the app's sidecar may call this"
    return [Guard(routes, "dapr-api-token", token, "", "ERR_INVALID_APP_TOKEN", message)]


def api_key_guards(key: str | None, variable: str, routes: tuple[str, ...]) -> list[Guard]:
    """The routes people and programs call need ``Authorization: Bearer <key>``."""
    if not key:
        return []
    message = f"missing or wrong API key: send Authorization: Bearer <{variable}>"
    return [Guard(routes, "authorization", key, "Bearer", "ERR_INVALID_API_KEY", message)]


class TokenGuard:
    """Pure ASGI middleware: a request a guard covers but does not accept gets 401, unrouted."""

    def __init__(self, app: ASGIApp, guards: Sequence[Guard]) -> None:
        self.app = app
        self.guards = tuple(guards)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusing = self._refusing(scope) if scope["type"] == "http" else None
        if refusing is None:
            return await self.app(scope, receive, send)
        challenge = {"WWW-Authenticate": refusing.scheme} if refusing.scheme else {}
        details = {"header": refusing.header}
        response = error_json(401, refusing.code, refusing.message, details, challenge)
        await response(scope, receive, send)

    def _refusing(self, scope: Scope) -> Guard | None:
        covering = (g for g in self.guards if g.covers(scope["method"], scope["path"]))
        return next((g for g in covering if not g.accepts(scope["headers"])), None)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
