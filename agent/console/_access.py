"""Who may use the console: with ``PM_API_KEY`` set, a browser signs in once on a login form and
gets an HTTP-only, same-site cookie; a program may send ``Authorization: Bearer <key>`` instead.

The cookie holds an HMAC of the key, not the key, and changes when the key does. Every console
POST also refuses an ``Origin`` other than the console's own (a form posted from another site).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request, Response

COOKIE = "pm_console"
PATH = "/console"


class LoginRequiredError(Exception):
    """The request carries neither the console cookie nor the API key."""


class ForeignOriginError(Exception):
    """A console POST sent from a page of another origin."""

    def __init__(self, origin: str) -> None:
        super().__init__(f"refused a console form posted from another origin ({origin})")


class ConsoleAccess:
    def __init__(self, api_key: str | None) -> None:
        self._key = api_key or ""

    @property
    def needs_login(self) -> bool:
        return bool(self._key)

    def key_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._key.encode())

    def allows(self, request: Request) -> bool:
        if not self._key:
            return True
        cookie = request.cookies.get(COOKIE, "")
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        by_header = scheme.lower() == "bearer" and self.key_matches(bearer)
        return by_header or hmac.compare_digest(cookie.encode(), self._session().encode())

    def sign_in(self, response: Response) -> None:
        response.set_cookie(COOKIE, self._session(), path=PATH, httponly=True, samesite="strict")

    def sign_out(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")

    def _session(self) -> str:
        return hmac.new(self._key.encode(), b"pm-console-session", hashlib.sha256).hexdigest()


def check_origin(request: Request) -> None:
    """Browsers send ``Origin`` on every form POST; it must name this host."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise ForeignOriginError(origin)
