"""The services behind a request: set on ``app.state.services`` by ``build_app``."""

from __future__ import annotations

from starlette.requests import Request

from ..services import ApiServices


def services_of(request: Request) -> ApiServices:
    """The services of the sidecar that serves this request."""
    return request.app.state.services  # type: ignore[no-any-return]
