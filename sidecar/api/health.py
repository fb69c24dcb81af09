"""Health, metadata and shutdown (dapr-sidecar.md §7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..dapr_errors import DaprError
from ..web import dumps, empty, raw_json_response, read_body
from ._context import services_of


async def healthz(request: Request) -> Response:
    services = services_of(request)
    wanted = request.query_params.get("appid")
    if wanted is not None and wanted != services.identity.app_id:
        raise DaprError(500, "ERR_HEALTH_APPID_NOT_MATCH", "dapr app-id does not match")
    waiting = services.not_ready_targets()
    if waiting:
        raise DaprError(500, "ERR_HEALTH_NOT_READY", f"dapr is not ready: {waiting}")
    return empty()


async def healthz_outbound(request: Request) -> Response:
    return empty()  # answered once the API server is up, before the app listens


async def get_metadata(request: Request) -> Response:
    # daprd writes this one with json.Encoder: a newline follows the document
    return raw_json_response(dumps(services_of(request).metadata()) + b"\n")


async def put_metadata(request: Request) -> Response:
    body = await read_body(request)
    services_of(request).set_metadata(request.path_params["key"], body.decode("utf-8", "replace"))
    return empty()


async def shutdown(request: Request) -> Response:
    force = request.headers.get("dapr-force-shutdown", "").lower() == "true"
    services_of(request).request_shutdown(force=force)
    return empty()


routes = [
    Route("/v1.0/healthz", healthz, methods=["GET"]),
    Route("/v1.0/healthz/outbound", healthz_outbound, methods=["GET"]),
    Route("/v1.0/metadata", get_metadata, methods=["GET"]),
    Route("/v1.0/metadata/{key}", put_metadata, methods=["PUT"]),
    Route("/v1.0/shutdown", shutdown, methods=["POST"]),
]
