"""Service invocation (dapr-sidecar.md §6): /v1.0/invoke/{app-id}/method/{path} and dapr-app-id."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..app_channel import HOP_BY_HOP, AppChannelError, AppRequest
from ..dapr_errors import DaprError
from ..forwarding import INTERNAL_HEADER, is_forwarded
from ..services import ApiServices
from ..web import passthrough, read_body
from ._context import services_of

log = logging.getLogger(__name__)

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
_NOT_FOR_APP = frozenset({"dapr-app-id", "dapr-api-token", INTERNAL_HEADER, "host"})
_STRIP = HOP_BY_HOP | _NOT_FOR_APP
_STAMPED = ("dapr-caller-app-id", "dapr-caller-namespace", "dapr-callee-app-id")


def invoke_error(app_id: str, err: str, status: int = 500) -> DaprError:
    """Over gRPC daprd gives this one as a bare status, no details (recorded from daprd 1.18.3)."""
    message = f"failed to invoke, id: {app_id}, err: {err}"
    return DaprError(status, "ERR_DIRECT_INVOKE", message).on_grpc("INTERNAL", details=[])


def _check_method(app_id: str, method: str) -> None:
    bad = next((c for c in method if c in "#?" or ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise invoke_error(app_id, f"invalid method name {method!r}")


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
    _check_method(app_id, method)
    call = Call(request.method, method, request.url.query, await read_body(request))
    upstream = await invoke(services_of(request), app_id, call, dict(request.headers))
    return passthrough(upstream)


@dataclass(frozen=True)
class Call:
    """One invocation as both transports decode it: HTTP verb, the app's path, query, body."""

    verb: str
    method: str
    query: str
    body: bytes


async def invoke(
    services: ApiServices, app_id: str, call: Call, caller_headers: dict[str, str]
) -> httpx.Response:
    """Call ``method`` of app ``app_id`` (``id.namespace`` names another namespace): our own app
    over the app channel, another app through its sidecar; the app's answer as it came."""
    me = services.identity
    target, _, namespace = app_id.partition(".")
    namespace = namespace or me.namespace
    if target == me.app_id and namespace == me.namespace:
        # daprd short-circuits a call to its own app: the caller's headers go as they are,
        # with no caller/callee stamps (recorded from daprd 1.18.3); the channel drops the
        # hop-by-hop ones HTTP does not forward (gRPC sends them as dapr-connection, ...)
        headers = {k: v for k, v in caller_headers.items() if k.lower() not in _NOT_FOR_APP}
        return await local_call(services, target, call, headers)
    headers = {
        k: v
        for k, v in caller_headers.items()
        if k.lower() not in _STRIP and k.lower() not in _STAMPED
    }
    headers["dapr-caller-app-id"] = me.app_id
    headers["dapr-caller-namespace"] = me.namespace
    headers["dapr-callee-app-id"] = target
    return await _remote_call(services, target, namespace, call, headers)


async def local_call(
    services: ApiServices, app_id: str, call: Call, headers: dict[str, str]
) -> httpx.Response:
    channel = services.app_channel
    if channel is None:
        raise invoke_error(app_id, "app channel is not initialized")
    try:
        return await channel.invoke(
            AppRequest(call.verb, call.method, call.body, headers, call.query)
        )
    except AppChannelError as exc:
        raise invoke_error(app_id, f"error invoking app channel: {exc}") from exc


async def _remote_call(
    services: ApiServices, app_id: str, namespace: str, call: Call, headers: dict[str, str]
) -> httpx.Response:
    hosts = await services.registry.lookup(app_id, namespace)
    if not hosts:
        raise invoke_error(app_id, f"couldn't find service: {app_id}")
    host = hosts[services.next_index(app_id, len(hosts))]
    headers[INTERNAL_HEADER] = services.internal_key
    url = f"{host.url}/_sidecar/v1/invoke/{app_id}/{call.method}"
    if call.query:
        url += "?" + call.query
    try:
        return await services.http.request(call.verb, url, content=call.body, headers=headers)
    except httpx.HTTPError as exc:
        raise invoke_error(app_id, f"error forwarding to {host.url}: {exc!r}") from exc


async def internal_invoke(request: Request) -> Response:
    """A call forwarded by another sidecar of this runtime home: deliver it to our app."""
    if not is_forwarded(request.headers, services_of(request).internal_key):
        raise DaprError(403, "ERR_DIRECT_INVOKE", "forwarded call without a valid runtime key")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FOR_APP}
    call = Call(
        request.method, request.path_params["method"], request.url.query, await read_body(request)
    )
    upstream = await local_call(services_of(request), request.path_params["app_id"], call, headers)
    return passthrough(upstream)


routes = [
    Route("/v1.0/invoke/{app_id}/method/{method:path}", invoke_by_path, methods=METHODS),
    Route("/_sidecar/v1/invoke/{app_id}/{method:path}", internal_invoke, methods=METHODS),
]
fallback = Route("/{path:path}", invoke_by_header, methods=METHODS)
