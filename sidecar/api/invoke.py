"""Service invocation (dapr-sidecar.md §6): /v1.0/invoke/{app-id}/method/{path} and dapr-app-id."""

from __future__ import annotations

import base64
import logging

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..app_channel import HOP_BY_HOP, AppChannelError
from ..dapr_errors import DaprError
from ..forwarding import INTERNAL_HEADER, is_forwarded
from ..web import passthrough, read_body
from ._context import services_of

log = logging.getLogger(__name__)

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
_NOT_FOR_APP = frozenset({"dapr-app-id", "dapr-api-token", INTERNAL_HEADER, "host"})
_STRIP = HOP_BY_HOP | _NOT_FOR_APP
_STAMPED = ("dapr-caller-app-id", "dapr-caller-namespace", "dapr-callee-app-id")


def invoke_error(app_id: str, err: str, status: int = 500) -> DaprError:
    return DaprError(status, "ERR_DIRECT_INVOKE", f"failed to invoke, id: {app_id}, err: {err}")


def _check_method(app_id: str, method: str) -> None:
    bad = next((c for c in method if c in "#?" or ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise invoke_error(app_id, f"invalid method name {method!r}")


def _forward_headers(request: Request) -> dict[str, str]:
    return {
        k: v
        for k, v in request.headers.items()
        if k.lower() not in _STRIP and k.lower() not in _STAMPED
    }


async def invoke_by_path(request: Request) -> Response:
    app_id = request.path_params["app_id"]
    return await _invoke(request, app_id, request.path_params["method"])


async def invoke_by_header(request: Request) -> Response:
    """daprd's fallback: an unmatched route is invoked when ``dapr-app-id`` names an app."""
    app_id = request.headers.get("dapr-app-id") or _basic_auth_app_id(request)
    if not app_id:
        raise DaprError(
            404,
            "ERR_DIRECT_INVOKE",
            "failed getting app id either from the URL path or the header dapr-app-id",
        )
    return await _invoke(request, app_id, request.url.path.lstrip("/"))


def _basic_auth_app_id(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return None
    return password if user == "dapr-app-id" else None


async def _invoke(request: Request, app_id: str, method: str) -> Response:
    me = services_of(request).identity
    _check_method(app_id, method)
    target, _, namespace = app_id.partition(".")
    namespace = namespace or me.namespace
    body = await read_body(request)
    if target == me.app_id and namespace == me.namespace:
        # daprd short-circuits a call to its own app: the caller's headers go as they are,
        # with no caller/callee stamps (recorded from daprd 1.18.3); the channel drops the
        # hop-by-hop ones HTTP does not forward (gRPC sends them as dapr-connection, ...)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FOR_APP}
        return await local_call(request, target, method, body, headers)
    headers = _forward_headers(request)
    headers["dapr-caller-app-id"] = me.app_id
    headers["dapr-caller-namespace"] = me.namespace
    headers["dapr-callee-app-id"] = target
    return await _remote_call(request, target, namespace, method, body, headers)


async def local_call(
    request: Request, app_id: str, method: str, body: bytes, headers: dict[str, str]
) -> Response:
    channel = services_of(request).app_channel
    if channel is None:
        raise invoke_error(app_id, "app channel is not initialized")
    try:
        upstream = await channel.invoke(
            request.method, method, content=body, headers=headers, params=request.url.query
        )
    except AppChannelError as exc:
        raise invoke_error(app_id, f"error invoking app channel: {exc}") from exc
    return passthrough(upstream)


async def _remote_call(
    request: Request, app_id: str, namespace: str, method: str, body: bytes, headers: dict[str, str]
) -> Response:
    services = services_of(request)
    hosts = await services.registry.lookup(app_id, namespace)
    if not hosts:
        raise invoke_error(app_id, f"couldn't find service: {app_id}")
    host = hosts[services.next_index(app_id, len(hosts))]
    headers[INTERNAL_HEADER] = services.internal_key
    url = f"{host.url}/_sidecar/v1/invoke/{app_id}/{method}"
    if request.url.query:
        url += "?" + request.url.query
    try:
        upstream = await services.http.request(request.method, url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise invoke_error(app_id, f"error forwarding to {host.url}: {exc!r}") from exc
    return passthrough(upstream)


async def internal_invoke(request: Request) -> Response:
    """A call forwarded by another sidecar of this runtime home: deliver it to our app."""
    if not is_forwarded(request.headers, services_of(request).internal_key):
        raise DaprError(403, "ERR_DIRECT_INVOKE", "forwarded call without a valid runtime key")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FOR_APP}
    body = await read_body(request)
    return await local_call(
        request, request.path_params["app_id"], request.path_params["method"], body, headers
    )


routes = [
    Route("/v1.0/invoke/{app_id}/method/{method:path}", invoke_by_path, methods=METHODS),
    Route("/_sidecar/v1/invoke/{app_id}/{method:path}", internal_invoke, methods=METHODS),
]
fallback = Route("/{path:path}", invoke_by_header, methods=METHODS)
