"""``GET /v1.0/secrets/{store}/{key}`` and ``/v1.0/secrets/{store}/bulk`` (daprd's secrets API).

Answers as ``pkg/api/universal/secrets.go`` (``secrets.operations``): no secret store at all is
500 ``ERR_SECRET_STORES_NOT_CONFIGURED``, an unknown store 401 ``ERR_SECRET_STORE_NOT_FOUND``, a
secret the store cannot give 500 ``ERR_SECRET_GET``; a secret is a JSON object of its values,
bulk an object of secrets.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..secrets import operations
from ..services import ApiServices
from ..web import json_response


def _services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


async def get_secret(request: Request) -> Response:
    stores = _services(request).secret_stores
    params = request.path_params
    return json_response(operations.get_secret(stores, params["store"], params["key"]))


async def bulk_secrets(request: Request) -> Response:
    stores = _services(request).secret_stores
    return json_response(operations.bulk_secrets(stores, request.path_params["store"]))


routes = [
    Route("/v1.0/secrets/{store}/bulk", bulk_secrets, methods=["GET"]),
    Route("/v1.0/secrets/{store}/{key:path}", get_secret, methods=["GET"]),
]
