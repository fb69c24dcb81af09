"""Actor RPCs over the operations the HTTP routes use: method calls, state, reminders (and the
reminder reads daprd 1.18 serves), timers."""

from __future__ import annotations

import base64
import json
from typing import Any

import grpc
from dapr.proto.runtime.v1 import actors_pb2
from google.protobuf import any_pb2, empty_pb2, json_format, struct_pb2

from ..actors import ActorRuntime
from ..actors.operations import ActorCall, ActorOperations, render_reminder, split_name
from ..app_channel import HOP_BY_HOP
from ..clock import utc
from ..jobs import JobRecord
from ..timefmt import format_rfc3339
from ._context import Context
from ._status import GrpcAnswer

_STRIP = HOP_BY_HOP | {"dapr-api-token", "dapr-caller-app-id", "dapr-caller-namespace"}


def _runtime(runtime: ActorRuntime | None) -> ActorRuntime:
    if runtime is None:
        raise GrpcAnswer(grpc.StatusCode.FAILED_PRECONDITION, "actor runtime is not configured")
    return runtime


def _json_data(data: bytes) -> Any:
    """Bytes given as a reminder's or timer's data: JSON as it is, else Go's base64 string."""
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return base64.b64encode(data).decode()


def _body(request: Any, *fields: str) -> dict[str, Any]:
    """The HTTP body the request stands for (its non-empty fields under their JSON names)."""
    names = {"due_time": "dueTime", "period": "period", "ttl": "ttl", "callback": "callback"}
    body: dict[str, Any] = {names[f]: getattr(request, f) for f in fields if getattr(request, f)}
    data = _json_data(request.data)
    if data is not None:
        body["data"] = data
    return body


def _reminder(actor_type: str, record: JobRecord) -> actors_pb2.ActorReminder:
    shown = render_reminder(actor_type, record)
    out = actors_pb2.ActorReminder(actor_type=actor_type, actor_id=split_name(record)[0])
    if "dueTime" in shown:
        out.due_time = shown["dueTime"]
    if "period" in shown:
        out.period = shown["period"]
    if "data" in shown:
        packed = any_pb2.Any()
        packed.Pack(json_format.ParseDict(shown["data"], struct_pb2.Value()))
        out.data.CopyFrom(packed)
    return out


def _actor_id(request: Any) -> str | None:
    """The request's optional ``actor_id``; None when it is not set (every actor of the type)."""
    return request.actor_id if request.HasField("actor_id") else None


class ActorRpcs:
    actors: ActorRuntime | None

    @property
    def _ops(self) -> ActorOperations:
        return _runtime(self.actors).operations

    async def InvokeActor(self, request: Any, context: Context) -> actors_pb2.InvokeActorResponse:
        ops = self._ops
        headers = ops.caller_headers(dict(request.metadata), _STRIP)
        call = ActorCall(
            request.actor_type, request.actor_id, request.method, request.data, headers
        )
        upstream = await ops.invoke(call)
        return actors_pb2.InvokeActorResponse(data=upstream.content)

    async def GetActorState(
        self, request: Any, context: Context
    ) -> actors_pb2.GetActorStateResponse:
        item = await self._ops.get_state(request.actor_type, request.actor_id, request.key)
        if item is None:
            return actors_pb2.GetActorStateResponse()
        meta = {}
        if item.expire_at is not None:
            meta["ttlExpireTime"] = format_rfc3339(utc(item.expire_at))
        return actors_pb2.GetActorStateResponse(data=item.value, metadata=meta)

    async def ExecuteActorStateTransaction(self, request: Any, context: Context) -> empty_pb2.Empty:
        ops = self._ops
        kind, rid = request.actor_type, request.actor_id
        await ops.enter(kind, reserved_check=True)
        changes = [
            ops.operation(kind, rid, op.operationType, op.key, op.value.value, dict(op.metadata))
            for op in request.operations
        ]
        await ops.transact(kind, rid, changes)
        return empty_pb2.Empty()

    async def RegisterActorReminder(self, request: Any, context: Context) -> empty_pb2.Empty:
        ops = self._ops
        if not request.name:
            raise GrpcAnswer(
                grpc.StatusCode.INVALID_ARGUMENT, "invalid request: reminder name cannot be empty"
            )
        body = _body(request, "due_time", "period", "ttl")
        if request.HasField("overwrite"):
            body["overwrite"] = request.overwrite
        await ops.create_reminder(request.actor_type, request.actor_id, request.name, body)
        return empty_pb2.Empty()

    async def UnregisterActorReminder(self, request: Any, context: Context) -> empty_pb2.Empty:
        await self._ops.delete_reminder(request.actor_type, request.actor_id, request.name)
        return empty_pb2.Empty()

    async def GetActorReminder(
        self, request: Any, context: Context
    ) -> actors_pb2.GetActorReminderResponse:
        record = await self._ops.get_reminder(request.actor_type, request.actor_id, request.name)
        shown = _reminder(request.actor_type, record)
        out = actors_pb2.GetActorReminderResponse()
        out.MergeFromString(shown.SerializeToString())  # the same fields, the same numbers
        return out

    async def ListActorReminders(
        self, request: Any, context: Context
    ) -> actors_pb2.ListActorRemindersResponse:
        records = await self._ops.list_reminders(request.actor_type, _actor_id(request))
        out = actors_pb2.ListActorRemindersResponse()
        for record in records:
            out.reminders.add(
                name=split_name(record)[1], reminder=_reminder(request.actor_type, record)
            )
        return out

    async def UnregisterActorRemindersByType(
        self, request: Any, context: Context
    ) -> actors_pb2.UnregisterActorRemindersByTypeResponse:
        await self._ops.delete_reminders(request.actor_type, _actor_id(request))
        return actors_pb2.UnregisterActorRemindersByTypeResponse()

    async def RegisterActorTimer(self, request: Any, context: Context) -> empty_pb2.Empty:
        body = _body(request, "due_time", "period", "ttl", "callback")
        await self._ops.create_timer(request.actor_type, request.actor_id, request.name, body)
        return empty_pb2.Empty()

    async def UnregisterActorTimer(self, request: Any, context: Context) -> empty_pb2.Empty:
        await self._ops.delete_timer(request.actor_type, request.actor_id, request.name)
        return empty_pb2.Empty()
