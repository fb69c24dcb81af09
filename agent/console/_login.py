"""Signing in to the console (only when ``PM_API_KEY`` is set) and out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from ._access import check_origin
from ._routes import access_of, templates

router = APIRouter(prefix="/console", include_in_schema=False)


def login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    context = {"error": error, "field": "key" if error else None}
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


@router.get("/login")
async def login_form(request: Request) -> Response:
    return login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    check_origin(request)
    key = str((await request.form()).get("key") or "")
    access = access_of(request)
    if not key:
        return login_page(request, 400, "key: enter the API key (PM_API_KEY)")
    if not access.key_matches(key):
        return login_page(request, 401, "key: wrong API key")
    response = RedirectResponse("/console", status_code=303)
    access.sign_in(response)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    check_origin(request)
    response = RedirectResponse("/console/login", status_code=303)
    access_of(request).sign_out(response)
    return response
