"""``POST /v1.0-alpha1/lock/{store}`` and ``/v1.0-alpha1/unlock/{store}`` (daprd's lock API).

The body is the gRPC request as protojson (``resourceId``, ``lockOwner``, ``expiryInSeconds``;
unknown fields ignored), the store is the path's; the answer is ``{"success": bool}`` or
``{"status": n}`` with the ``UnlockResponse.Status`` number. Refusals are ``lock.operations``'."""

from __future__ import annotations

from typing import Any

from dapr.proto.runtime.v1 import lock_pb2
from google.protobuf import json_format
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..dapr_errors import malformed
from ..lock import operations
from ..services import ApiServices
from ..web import json_response


def _services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


async def _decode(request: Request, message: Any) -> Any:
    body = await request.body()
    try:
        return json_format.Parse(body or b"{}", message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise malformed(str(exc)) from exc


async def try_lock(request: Request) -> Response:
    body = await _decode(request, lock_pb2.TryLockRequest())
    store = request.path_params["store"]
    req = operations.LockRequest(store, body.resource_id, body.lock_owner, body.expiry_in_seconds)
    services = _services(request)
    success = await operations.try_lock(services.lock_stores, req, services.identity.app_id)
    return json_response({"success": success})


async def unlock(request: Request) -> Response:
    body = await _decode(request, lock_pb2.UnlockRequest())
    req = operations.LockRequest(request.path_params["store"], body.resource_id, body.lock_owner)
    services = _services(request)
    status = await operations.unlock(services.lock_stores, req, services.identity.app_id)
    return json_response({"status": int(status)})


routes = [
    Route("/v1.0-alpha1/lock/{store}", try_lock, methods=["POST"]),
    Route("/v1.0-alpha1/unlock/{store}", unlock, methods=["POST"]),
]
