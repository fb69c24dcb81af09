"""HTTP routes of the actor API (dapr-sidecar.md §2) and the internal forwarding route."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..api.state_json import loads_go
from ..app_channel import HOP_BY_HOP
from ..dapr_errors import DaprError, bad_request
from ..forwarding import INTERNAL_HEADER, is_forwarded
from ..gojson import go_quote
from ..jobs import reminder_owner
from ..web import dumps, empty, passthrough, raw_json_response, read_body
from . import _reminders as rem
from . import _state as st
from ._router import FIRE_HEADER, ActorCall, not_found
from ._timers import TimerSpecError, parse_timer

if TYPE_CHECKING:
    from ._actor_runtime import ActorRuntime

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
_STRIP = HOP_BY_HOP | {"dapr-api-token", INTERNAL_HEADER, FIRE_HEADER}
_STAMPED = ("dapr-caller-app-id", "dapr-caller-namespace")
NON_HOSTED = "operations on actor reminders are only possible on hosted actor types"


def validate_name(value: str, what: str = "name") -> None:
    """daprd's ValidateName: no ``/ \\ # ?`` or NUL, no control character, not ``.``/``..``.
    ``what`` is ``invalid actorId: name`` for ids, ``method`` for methods (daprd's texts,
    recorded from daprd 1.18.3)."""
    quoted = go_quote(value)
    if value in ("", ".", "..") or any(c in "/\\#?\x00" for c in value):
        raise bad_request(f"invalid request: {what} contains forbidden character: {quoted}")
    control = next((i for i, c in enumerate(value) if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if control is not None:
        at = len(value[:control].encode())
        detail = f"{what} contains control character at position {at}: {quoted}"
        raise bad_request(f"invalid request: {detail}")


RESERVED = "is reserved for the Dapr workflow runtime; direct actor API access is not permitted"


class ActorApi:
    """Request handlers bound to one runtime."""

    def __init__(self, runtime: ActorRuntime) -> None:
        self.rt = runtime

    async def _enter(self, request: Request, *, reserved_check: bool) -> tuple[str, str]:
        if not self.rt.enabled:
            raise DaprError(400, "ERR_ACTOR_NO_PLACEMENT", "placement service is not configured")
        actor_type = request.path_params["type"]
        actor_id = request.path_params["id"]
        if reserved_check and actor_type.startswith("dapr.internal."):
            message = f"actor type {go_quote(actor_type)} {RESERVED}"
            raise DaprError(403, "ERR_ACTOR_TYPE_RESERVED", message)
        await self.rt.registered.wait()
        return actor_type, actor_id

    # method invocation -------------------------------------------------------------------------

    async def invoke(self, request: Request) -> Response:
        actor_type, actor_id = await self._enter(request, reserved_check=False)
        validate_name(actor_type, "invalid actorType: name")
        validate_name(actor_id, "invalid actorId: name")
        method = request.path_params["method"]
        validate_name(method, "method")
        body = await read_body(request)
        headers = self._forward_headers(request)
        call = ActorCall(actor_type, actor_id, method, body, headers, request.url.query)
        entry = await self.rt.router.owner(actor_type, actor_id)
        if not self.rt.router.is_me(entry):
            return passthrough(await self.rt.router.forward(entry, call))
        return await self._local(call)

    def _forward_headers(self, request: Request) -> dict[str, str]:
        skip = _STRIP | set(_STAMPED)
        out = {k: v for k, v in request.headers.items() if k.lower() not in skip}
        me = self.rt.services.identity
        out["dapr-caller-app-id"] = me.app_id
        out["dapr-caller-namespace"] = me.namespace
        out["Dapr-API-Call"] = "true"
        return out

    async def _local(self, call: ActorCall) -> Response:
        if not self.rt.hosts(call.actor_type):
            raise not_found(call.actor_type, call.actor_id)
        reentrant = self.rt.type_config(call.actor_type).reentrant
        return await self.rt.router.invoke_local(call, reentrant=reentrant)

    async def internal(self, request: Request) -> Response:
        """A call forwarded by another sidecar of this runtime home."""
        if not is_forwarded(request.headers, self.rt.services.internal_key):
            raise DaprError(403, "ERR_ACTOR_INVOKE_METHOD", "forwarded call without a valid key")
        await self.rt.registered.wait()
        actor_type, actor_id = request.path_params["type"], request.path_params["id"]
        path = request.path_params["method"]
        body = await read_body(request)
        if request.headers.get(FIRE_HEADER):
            if not self.rt.hosts(actor_type):
                raise not_found(actor_type, actor_id)
            fire = ActorCall.fire(actor_type, actor_id, path, body)
            return passthrough(await self.rt.router.fire_local(fire))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _STRIP}
        return await self._local(
            ActorCall(actor_type, actor_id, path, body, headers, request.url.query)
        )

    # state -------------------------------------------------------------------------------------

    def _prefix(self, actor_type: str, actor_id: str) -> str:
        return st.state_key(self.rt.services.identity.app_id, actor_type, actor_id, "")

    async def get_state(self, request: Request) -> Response:
        actor_type, actor_id = await self._enter(request, reserved_check=True)
        store = self.rt.state_store()
        key = self._prefix(actor_type, actor_id) + request.path_params["key"]
        item = await st.read(store, key)
        if item is None or not item.value:
            return empty()
        headers = {}
        if item.expire_at is not None:
            from ..clock import utc
            from ..timefmt import format_rfc3339

            headers["metadata.ttlExpireTime"] = format_rfc3339(utc(item.expire_at))
        return raw_json_response(item.value, headers=headers)

    async def state_transaction(self, request: Request) -> Response:
        actor_type, actor_id = await self._enter(request, reserved_check=True)
        store = self.rt.state_store()
        body = loads_go(await read_body(request))
        ops = st.parse_operations(body, self._prefix(actor_type, actor_id))
        if not self.rt.table.is_active(actor_type, actor_id):
            raise DaprError(400, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing")
        await st.transact(store, ops)
        return empty()

    # reminders ---------------------------------------------------------------------------------

    async def _reminder_target(self, request: Request) -> tuple[str, str, str]:
        actor_type, actor_id = await self._enter(request, reserved_check=True)
        if not self.rt.hosts(actor_type):
            raise DaprError(403, "ERR_ACTOR_REMINDER_NON_HOSTED", NON_HOSTED)
        owner = reminder_owner(self.rt.services.identity.namespace, actor_type)
        return actor_type, owner, rem.record_name(actor_id, request.path_params["name"])

    async def create_reminder(self, request: Request) -> Response:
        body = loads_go(await read_body(request))
        actor_type, owner, name = await self._reminder_target(request)
        validate_name(request.path_params["name"])
        services = self.rt.services
        now = services.clock.now()
        spec, overwrite = rem.reminder_spec(body, now)
        await rem.store_reminder(services.job_store, owner, name, spec, overwrite, now)
        services.scheduler.wake()
        return empty()

    async def get_reminder(self, request: Request) -> Response:
        actor_type, owner, name = await self._reminder_target(request)
        record = await self.rt.services.job_store.get(owner, name)
        if record is None:
            message = f"actor reminder not found: {request.path_params['name']}"
            raise DaprError(404, "ERR_ACTOR_REMINDER_NOT_FOUND", message)
        # daprd writes this one with json.Encoder: a newline follows the document
        return raw_json_response(dumps(rem.render_reminder(actor_type, record)) + b"\n")

    async def delete_reminder(self, request: Request) -> Response:
        _, owner, name = await self._reminder_target(request)
        await self.rt.services.job_store.delete(owner, name)
        return empty()

    # timers ------------------------------------------------------------------------------------

    async def create_timer(self, request: Request) -> Response:
        actor_type, actor_id = await self._enter(request, reserved_check=True)
        name = request.path_params["name"]
        body = loads_go(await read_body(request), empty_as={})
        validate_name(name)
        prefix = f"can't create timer for actor {actor_type}||{actor_id}"
        if not self.rt.hosts(actor_type):
            raise _timer_error(f"{prefix}: actor type not registered")
        if not isinstance(body, dict):
            raise _timer_error(f"{prefix}: invalid request body")
        try:
            spec = parse_timer(
                body, self.rt.services.clock.now(), f"{actor_type}||{actor_id}||{name}"
            )
        except TimerSpecError as exc:
            raise _timer_error(str(exc)) from exc
        self.rt.timers.create(actor_type, actor_id, name, spec)
        return empty()

    async def delete_timer(self, request: Request) -> Response:
        actor_type, actor_id = await self._enter(request, reserved_check=True)
        self.rt.timers.delete(actor_type, actor_id, request.path_params["name"])
        return empty()


def _timer_error(message: str) -> DaprError:
    return DaprError(500, "ERR_ACTOR_TIMER_CREATE", f"error creating actor timer: {message}")


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
