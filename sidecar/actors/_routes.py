"""HTTP routes of the actor API (dapr-sidecar.md §2) and the internal forwarding route, over
the operations both transports use (``operations.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..app_channel import HOP_BY_HOP
from ..clock import utc
from ..dapr_errors import DaprError
from ..forwarding import INTERNAL_HEADER, is_forwarded
from ..godecode import loads_go
from ..timefmt import format_rfc3339
from ..web import dumps, empty, passthrough, raw_json_response, read_body
from . import _reminders as rem
from . import _state as st
from ._router import FIRE_HEADER, ActorCall, not_found
from .operations import ActorOperations

if TYPE_CHECKING:
    from ._actor_runtime import ActorRuntime

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
_STRIP = HOP_BY_HOP | {"dapr-api-token", INTERNAL_HEADER, FIRE_HEADER}
_STAMPED = frozenset({"dapr-caller-app-id", "dapr-caller-namespace"})


def _ids(request: Request) -> tuple[str, str]:
    return request.path_params["type"], request.path_params["id"]


class ActorApi:
    """Request handlers bound to one runtime's operations."""

    def __init__(self, runtime: ActorRuntime) -> None:
        self.rt = runtime
        self.ops: ActorOperations = runtime.operations

    async def invoke(self, request: Request) -> Response:
        actor_type, actor_id = _ids(request)
        await self.ops.enter(actor_type, reserved_check=False)
        body = await read_body(request)
        headers = self.ops.caller_headers(request.headers, _STRIP | _STAMPED)
        path = request.path_params["method"]
        call = ActorCall(actor_type, actor_id, path, body, headers, request.url.query)
        return passthrough(await self.ops.invoke(call))

    async def internal(self, request: Request) -> Response:
        """A call forwarded by another sidecar of this runtime home."""
        if not is_forwarded(request.headers, self.rt.services.internal_key):
            raise DaprError(403, "ERR_ACTOR_INVOKE_METHOD", "forwarded call without a valid key")
        await self.rt.registered.wait()
        actor_type, actor_id = _ids(request)
        path = request.path_params["method"]
        body = await read_body(request)
        if request.headers.get(FIRE_HEADER):
            if not self.rt.hosts(actor_type):
                raise not_found(actor_type, actor_id)
            fire = ActorCall.fire(actor_type, actor_id, path, body)
            return passthrough(await self.rt.router.fire_local(fire))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _STRIP}
        call = ActorCall(actor_type, actor_id, path, body, headers, request.url.query)
        return passthrough(await self.ops.local(call))

    async def get_state(self, request: Request) -> Response:
        actor_type, actor_id = _ids(request)
        item = await self.ops.get_state(actor_type, actor_id, request.path_params["key"])
        if item is None:
            return empty()
        headers = {}
        if item.expire_at is not None:
            headers["metadata.ttlExpireTime"] = format_rfc3339(utc(item.expire_at))
        return raw_json_response(item.value, headers=headers)

    async def state_transaction(self, request: Request) -> Response:
        actor_type, actor_id = _ids(request)
        await self.ops.enter(actor_type, reserved_check=True)
        self.rt.state_store()
        body = loads_go(await read_body(request))
        ops = st.parse_operations(body, self.ops.prefix(actor_type, actor_id))
        await self.ops.transact(actor_type, actor_id, ops)
        return empty()

    async def create_reminder(self, request: Request) -> Response:
        body = loads_go(await read_body(request))
        actor_type, actor_id = _ids(request)
        await self.ops.create_reminder(actor_type, actor_id, request.path_params["name"], body)
        return empty()

    async def get_reminder(self, request: Request) -> Response:
        actor_type, actor_id = _ids(request)
        record = await self.ops.get_reminder(actor_type, actor_id, request.path_params["name"])
        # daprd writes this one with json.Encoder: a newline follows the document
        return raw_json_response(dumps(rem.render_reminder(actor_type, record)) + b"\n")

    async def delete_reminder(self, request: Request) -> Response:
        actor_type, actor_id = _ids(request)
        await self.ops.delete_reminder(actor_type, actor_id, request.path_params["name"])
        return empty()

    async def create_timer(self, request: Request) -> Response:
        actor_type, actor_id = _ids(request)
        await self.ops.enter(actor_type, reserved_check=True)
        body = loads_go(await read_body(request), empty_as={})
        await self.ops.create_timer(actor_type, actor_id, request.path_params["name"], body)
        return empty()

    async def delete_timer(self, request: Request) -> Response:
        actor_type, actor_id = _ids(request)
        await self.ops.delete_timer(actor_type, actor_id, request.path_params["name"])
        return empty()


def build_routes(runtime: ActorRuntime) -> list[BaseRoute]:
    api = ActorApi(runtime)
    base = "/v1.0/actors/{type}/{id}"
    return [
        Route(base + "/method/{method:path}", api.invoke, methods=METHODS),
        Route(base + "/state", api.state_transaction, methods=["POST", "PUT"]),
        Route(base + "/state/{key}", api.get_state, methods=["GET"]),
        Route(base + "/reminders/{name}", api.create_reminder, methods=["POST", "PUT"]),
        Route(base + "/reminders/{name}", api.get_reminder, methods=["GET"]),
        Route(base + "/reminders/{name}", api.delete_reminder, methods=["DELETE"]),
        Route(base + "/timers/{name}", api.create_timer, methods=["POST", "PUT"]),
        Route(base + "/timers/{name}", api.delete_timer, methods=["DELETE"]),
        Route(
            "/_sidecar/v1/actors/{type}/{id}/method/{method:path}", api.internal, methods=["PUT"]
        ),
    ]
