"""The web console at ``/console``: agents and their tasks, the upcoming fires on a timeline,
notification history with delivery status, dead letters, and forms to assign, snooze, complete,
acknowledge and replay. Server-rendered (Jinja2), plain HTML forms, a few lines of our own JS
for auto-refresh; no CDN, no build step."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from . import _login, _routes
from ._access import ConsoleAccess, ForeignOriginError, LoginRequiredError

__all__ = ["install"]


def install(app: FastAPI, api_key: str | None) -> None:
    app.state.console_access = ConsoleAccess(api_key)
    app.include_router(_login.router)
    app.include_router(_routes.router)
    app.mount("/console/static", StaticFiles(directory=_routes.HERE / "static"), "console-static")
    app.add_exception_handler(LoginRequiredError, _to_login)
    app.add_exception_handler(ForeignOriginError, _foreign)


async def _to_login(request: Request, exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse("/console/login", status_code=303)
    return _login.login_page(request, 401, "key: sign in with the API key first")


async def _foreign(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(str(exc), status_code=403)
