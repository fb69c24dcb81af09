"""``GET /v1.0/secrets/{store}/{key}`` and ``/v1.0/secrets/{store}/bulk`` (daprd's secrets API).

Answers as ``pkg/api/universal/secrets.go``: no secret store at all is 500
``ERR_SECRET_STORES_NOT_CONFIGURED``, an unknown store 401 ``ERR_SECRET_STORE_NOT_FOUND``, a
secret the store cannot give 500 ``ERR_SECRET_GET``; a secret is a JSON object of its values,
bulk an object of secrets.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..dapr_errors import DaprError
from ..secrets import SecretNotFoundError, SecretStore
from ..services import ApiServices
from ..web import json_response


def _store(request: Request) -> SecretStore:
    services: ApiServices = request.app.state.services
    stores = services.secret_stores
    if not stores:
        raise DaprError(500, "ERR_SECRET_STORES_NOT_CONFIGURED", "secret store is not configured")
    name = request.path_params["store"]
    store = stores.get(name)
    if store is None:
        message = f"failed finding secret store with key {name}"
        raise DaprError(401, "ERR_SECRET_STORE_NOT_FOUND", message)
    return store


async def get_secret(request: Request) -> Response:
    store = _store(request)
    key = request.path_params["key"]
    try:
        secret = store.get(key)
    except SecretNotFoundError as exc:
        message = f"failed getting secret with key {key} from secret store {store.name}: {exc}"
        raise DaprError(500, "ERR_SECRET_GET", message) from exc
    return json_response(secret)


async def bulk_secrets(request: Request) -> Response:
    return json_response(_store(request).bulk())


routes = [
    Route("/v1.0/secrets/{store}/bulk", bulk_secrets, methods=["GET"]),
    Route("/v1.0/secrets/{store}/{key:path}", get_secret, methods=["GET"]),
]
