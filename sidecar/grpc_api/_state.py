"""State RPCs (daprd ``pkg/api/grpc/grpc.go``) over the operations the HTTP routes use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dapr.proto.common.v1 import common_pb2
from dapr.proto.runtime.v1 import state_pb2
from google.protobuf import empty_pb2

from ..clock import utc
from ..dapr_errors import DaprError
from ..state import StateItem, Upsert
from ..state import operations as ops
from ._context import Context, Services

_CONCURRENCY = {1: "first-write", 2: "last-write"}
_CONSISTENCY = {1: "eventual", 2: "strong"}


def _item(item: Any) -> ops.Item:
    """A ``common.v1.StateItem`` as the operations take it (the value is stored as sent)."""
    options = item.options if item.HasField("options") else None
    return ops.Item(
        key=item.key,
        value=getattr(item, "value", b""),
        etag=item.etag.value if item.HasField("etag") else None,
        concurrency=_CONCURRENCY.get(options.concurrency, "") if options else "",
        consistency=_CONSISTENCY.get(options.consistency, "") if options else "",
        metadata=dict(item.metadata),
    )


def _ttl(item: StateItem) -> dict[str, str]:
    if item.expire_at is None:
        return {}
    return {"ttlExpireTime": utc(item.expire_at).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _upserts(target: ops.Target, states: Any) -> list[Upsert]:
    items = [_item(s) for s in states]
    if any(not i.key for i in items):
        raise DaprError(400, "ERR_STATE_SAVE", "state key cannot be empty")
    keys = [target.key(i.key) for i in items]
    try:
        return [ops.upsert(target, i, {}, k) for i, k in zip(items, keys, strict=True)]
    except ValueError as exc:
        message = f"failed saving state in state store {target.name}: {exc}"
        raise DaprError(500, "ERR_STATE_SAVE", message) from exc


def _txn_op(target: ops.Target, op: Any, meta: Mapping[str, str]) -> ops.TxnOp:
    """An operation, and what its outbox event carries: the value as sent, the operation's own
    metadata, its ``contentType`` metadata as the content type."""
    kind = op.operationType
    if kind not in ("upsert", "delete"):
        raise ops.unsupported_operation(kind)
    item = _item(op.request)
    key = target.key(item.key)
    try:
        upsert = kind == "upsert"
        write = ops.upsert(target, item, meta, key) if upsert else ops.delete_op(item, key)
    except ValueError as exc:
        raise ops.transaction_error(exc) from None
    content_type = item.metadata.get("contentType", "")
    return ops.TxnOp(write, item.metadata, content_type, item.value)


class StateRpcs:
    """GetState, GetBulkState, SaveState, DeleteState, DeleteBulkState,
    ExecuteStateTransaction and QueryStateAlpha1."""

    services: Services

    def _target(self, name: str) -> ops.Target:
        return ops.target(self.services.state_stores, name, self.services.identity.app_id)

    async def GetState(self, request: Any, context: Context) -> state_pb2.GetStateResponse:
        item = await ops.get(self._target(request.store_name), request.key)
        if item is None:
            return state_pb2.GetStateResponse()
        return state_pb2.GetStateResponse(data=item.value, etag=item.etag, metadata=_ttl(item))

    async def GetBulkState(self, request: Any, context: Context) -> state_pb2.GetBulkStateResponse:
        keys = list(request.keys)
        items = await ops.bulk_get(self._target(request.store_name), keys)
        out = state_pb2.GetBulkStateResponse()
        for key, item in zip(keys, items, strict=True):
            entry = out.items.add(key=key)
            if item is not None and item.value:
                entry.data, entry.etag = item.value, item.etag
                entry.metadata.update(_ttl(item))
        return out

    async def SaveState(self, request: Any, context: Context) -> empty_pb2.Empty:
        target = self._target(request.store_name)
        await ops.save(target, _upserts(target, request.states))
        return empty_pb2.Empty()

    async def DeleteState(self, request: Any, context: Context) -> empty_pb2.Empty:
        target = self._target(request.store_name)
        state = common_pb2.StateItem(key=request.key, options=request.options)
        if request.HasField("etag"):
            state.etag.CopyFrom(request.etag)
        await ops.delete(target, _item(state))
        return empty_pb2.Empty()

    async def DeleteBulkState(self, request: Any, context: Context) -> empty_pb2.Empty:
        target = self._target(request.store_name)
        await ops.bulk_delete(target, [_item(state) for state in request.states])
        return empty_pb2.Empty()

    async def ExecuteStateTransaction(self, request: Any, context: Context) -> empty_pb2.Empty:
        target = self._target(request.storeName)
        meta = dict(request.metadata)
        txn = [_txn_op(target, op, meta) for op in request.operations]
        await ops.transact(target, txn, self.services.outbox)
        return empty_pb2.Empty()

    async def QueryStateAlpha1(
        self, request: Any, context: Context
    ) -> state_pb2.QueryStateResponse:
        target = self._target(request.store_name)
        raise ops.querying_not_supported(target.name)
