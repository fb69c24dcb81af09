"""The actor API's operations, for both transports (dapr-sidecar.md §2; daprd ``pkg/api``):
method calls, state, reminders and timers. Each transport decodes its request (URL and JSON
body over HTTP, protobuf over gRPC) into the arguments here and writes the answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ..dapr_errors import DaprError, bad_request
from ..gojson import go_quote
from ..jobs import JobRecord, reminder_owner
from ..state import Delete, StateItem, Upsert
from . import _reminders as rem
from . import _state as st
from ._reminders import render_reminder, split_name
from ._router import ActorCall, method_answer, not_found
from ._timers import TimerSpecError, parse_timer

if TYPE_CHECKING:
    from ._actor_runtime import ActorRuntime

__all__ = ["ActorCall", "ActorOperations", "render_reminder", "split_name", "validate_name"]
NON_HOSTED = "operations on actor reminders are only possible on hosted actor types"
RESERVED = "is reserved for the Dapr workflow runtime; direct actor API access is not permitted"


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


def _timer_error(message: str) -> DaprError:
    return DaprError(500, "ERR_ACTOR_TIMER_CREATE", f"error creating actor timer: {message}")


class ActorOperations:
    """The operations of one actor runtime. daprd's gRPC API gives its actor errors as bare
    statuses, without rich details (recorded from daprd 1.18.3)."""

    def __init__(self, runtime: ActorRuntime) -> None:
        self.rt = runtime

    async def enter(self, actor_type: str, *, reserved_check: bool) -> None:
        """Actors on, the type not reserved, and the app's actor types known."""
        if not self.rt.enabled:
            raise DaprError(400, "ERR_ACTOR_NO_PLACEMENT", "placement service is not configured")
        if reserved_check and actor_type.startswith("dapr.internal."):
            message = f"actor type {go_quote(actor_type)} {RESERVED}"
            raise DaprError(403, "ERR_ACTOR_TYPE_RESERVED", message)
        await self.rt.registered.wait()

    # method invocation -------------------------------------------------------------------------

    async def invoke(self, call: ActorCall) -> httpx.Response:
        """The method call on the actor wherever it lives; the app's (200) answer."""
        await self.enter(call.actor_type, reserved_check=False)
        validate_name(call.actor_type, "invalid actorType: name")
        validate_name(call.actor_id, "invalid actorId: name")
        validate_name(call.path, "method")
        entry = await self.rt.router.owner(call.actor_type, call.actor_id)
        if not self.rt.router.is_me(entry):
            return await self.rt.router.forward(entry, call)
        return await self.local(call)

    async def local(self, call: ActorCall) -> httpx.Response:
        if not self.rt.hosts(call.actor_type):
            raise not_found(call.actor_type, call.actor_id)
        reentrant = self.rt.type_config(call.actor_type).reentrant
        upstream = await self.rt.router.invoke_local(call, reentrant=reentrant)
        return method_answer(upstream, call.app_path)

    def caller_headers(self, given: Mapping[str, str], strip: frozenset[str]) -> dict[str, str]:
        out = {k: v for k, v in given.items() if k.lower() not in strip}
        me = self.rt.services.identity
        out["dapr-caller-app-id"] = me.app_id
        out["dapr-caller-namespace"] = me.namespace
        out["Dapr-API-Call"] = "true"
        return out

    # state -------------------------------------------------------------------------------------

    def prefix(self, actor_type: str, actor_id: str) -> str:
        return st.state_key(self.rt.services.identity.app_id, actor_type, actor_id, "")

    async def get_state(self, actor_type: str, actor_id: str, key: str) -> StateItem | None:
        await self.enter(actor_type, reserved_check=True)
        store = self.rt.state_store()
        item = await st.read(store, self.prefix(actor_type, actor_id) + key)
        return item if item is not None and item.value else None

    def operation(
        self, actor_type: str, actor_id: str, kind: str, key: str, value: bytes, meta: Any
    ) -> Upsert | Delete:
        """One checked transaction operation on the actor's key ``key``."""
        return st.operation(kind, key, value, None, meta, self.prefix(actor_type, actor_id))

    async def transact(self, actor_type: str, actor_id: str, ops: list[Upsert | Delete]) -> None:
        """``ops`` keyed by the actor's prefix already (``prefix``)."""
        store = self.rt.state_store()
        if not self.rt.table.is_active(actor_type, actor_id):
            error = DaprError(400, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing")
            raise error.on_grpc("INTERNAL", details=[])
        await st.transact(store, ops)

    # reminders ---------------------------------------------------------------------------------

    async def reminder_owner(self, actor_type: str) -> str:
        await self.enter(actor_type, reserved_check=True)
        if not self.rt.hosts(actor_type):
            error = DaprError(403, "ERR_ACTOR_REMINDER_NON_HOSTED", NON_HOSTED)
            raise error.on_grpc("PERMISSION_DENIED", details=[])
        return reminder_owner(self.rt.services.identity.namespace, actor_type)

    async def create_reminder(self, actor_type: str, actor_id: str, name: str, body: Any) -> None:
        owner = await self.reminder_owner(actor_type)
        validate_name(name)
        services = self.rt.services
        now = services.clock.now()
        spec, overwrite = rem.reminder_spec(body, now)
        record = rem.record_name(actor_id, name)
        await rem.store_reminder(services.job_store, owner, record, spec, overwrite, now)
        services.scheduler.wake()

    async def get_reminder(self, actor_type: str, actor_id: str, name: str) -> JobRecord:
        owner = await self.reminder_owner(actor_type)
        record = await self.rt.services.job_store.get(owner, rem.record_name(actor_id, name))
        if record is None:
            message = f"actor reminder not found: {name}"
            error = DaprError(404, "ERR_ACTOR_REMINDER_NOT_FOUND", message)
            raise error.on_grpc("NOT_FOUND", details=[])
        return record

    async def delete_reminder(self, actor_type: str, actor_id: str, name: str) -> None:
        owner = await self.reminder_owner(actor_type)
        await self.rt.services.job_store.delete(owner, rem.record_name(actor_id, name))

    async def list_reminders(self, actor_type: str, actor_id: str | None) -> list[JobRecord]:
        owner = await self.reminder_owner(actor_type)
        records = await self.rt.services.job_store.records(owner)
        if actor_id is None:
            return records
        return [r for r in records if rem.split_name(r)[0] == actor_id]

    async def delete_reminders(self, actor_type: str, actor_id: str | None) -> None:
        owner = await self.reminder_owner(actor_type)
        prefix = "" if actor_id is None else rem.record_name(actor_id, "")
        await self.rt.services.job_store.delete_prefix(owner, prefix)

    # timers ------------------------------------------------------------------------------------

    async def create_timer(self, actor_type: str, actor_id: str, name: str, body: Any) -> None:
        await self.enter(actor_type, reserved_check=True)
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

    async def delete_timer(self, actor_type: str, actor_id: str, name: str) -> None:
        await self.enter(actor_type, reserved_check=True)
        self.rt.timers.delete(actor_type, actor_id, name)
