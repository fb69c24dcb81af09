"""The state API's operations, for both transports (daprd ``pkg/api/http`` and ``pkg/api/grpc``).

A request names a store and items; this module finds the store, prefixes the keys as daprd does,
checks the options, runs the store call and turns store failures into daprd's errors. Decoding a
request (Go's JSON decoders over HTTP, protobuf over gRPC) and writing the answer stay with each
transport. Everything a request asks for is checked before the first write, so a refused request
changes nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..dapr_errors import ERROR_INFO_TYPE, DaprError
from ._base import Delete, StateItem, StateStore, Upsert
from ._store_errors import BulkSetError, EtagInvalidError, EtagMismatchError, StateStoreError

logger = logging.getLogger(__name__)

_GOOGLE = "type.googleapis.com/google.rpc."
# daprd reads NAMESPACE once, at start-up, for the ``namespace`` key-prefix strategy (unset in
# self-hosted mode, where that strategy falls back to the app id).
_NAMESPACE = os.environ.get("NAMESPACE", "")


class KitError(DaprError):
    """A dapr/kit rich error whose ``details`` list is written exactly as kit writes it."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]]):
        super().__init__(status, code, message)
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"errorCode": self.error_code, "message": self.message, "details": self.details}


def _error_info(reason: str, metadata: dict[str, str] | None) -> dict[str, Any]:
    return {"@type": ERROR_INFO_TYPE, "domain": "dapr.io", "metadata": metadata, "reason": reason}


def store_missing(name: str, app_id: str, configured: bool) -> KitError:
    """Over gRPC daprd attaches no ``appID`` to the ErrorInfo (recorded from daprd 1.18.3)."""
    meta = {"appID": app_id} if app_id else None
    reason = "DAPR_STATE_NOT_FOUND" if configured else "DAPR_STATE_NOT_CONFIGURED"
    word = "found" if configured else "configured"
    message = f"state store {name} is not {word}"
    status, code = (400, "ERR_STATE_STORE_NOT_FOUND") if configured else (500, "")
    code = code or "ERR_STATE_STORE_NOT_CONFIGURED"
    error = KitError(status, code, message, [_error_info(reason, meta)])
    grpc_code = "INVALID_ARGUMENT" if configured else "FAILED_PRECONDITION"
    error.on_grpc(grpc_code, details=[_error_info(reason, None)])
    return error


def illegal_key(store: str, key: str) -> KitError:
    detail = f"input key/keyPrefix '{key}' can't contain '||'"
    message = f"api error: code = InvalidArgument desc = {detail}"
    resource = {"description": "", "owner": "", "resource_name": store, "resource_type": "state"}

    def details(text: str) -> list[dict[str, Any]]:
        return [
            {"@type": _GOOGLE + "BadRequest", "field_violations": [_violation(key, text)]},
            {"@type": _GOOGLE + "ResourceInfo", **resource},
            _error_info("DAPR_STATE_ILLEGAL_KEY", None),
        ]

    error = KitError(400, "ERR_MALFORMED_REQUEST", message, details(message))
    error.on_grpc("INVALID_ARGUMENT", detail, details(detail))
    return error


def _violation(key: str, text: str) -> dict[str, str]:
    return {"field": key, "description": text}


def state_error(code: str, message: str, exc: StateStoreError) -> DaprError:
    """daprd's ``stateErrorResponse``: 409 (gRPC Aborted) for an ETag mismatch, 400 invalid,
    else 500."""
    if isinstance(exc, BulkSetError):
        invalid = any(isinstance(e, EtagInvalidError) for e in exc.errors)
        kind = "invalid etag value" if invalid else "possible etag mismatch. error from state store"
        return DaprError(400 if invalid else 409, code, f"{message}: {kind}: {exc}")
    status = 409 if isinstance(exc, EtagMismatchError) else 500
    status = 400 if isinstance(exc, EtagInvalidError) else status
    if status == 500:
        logger.warning("%s: %s", code, exc)
    return DaprError(status, code, f"{message}: {exc}")


@dataclass(frozen=True)
class Target:
    """The store a request addresses, and how its keys are prefixed."""

    store: StateStore
    name: str
    app_id: str
    namespace: str

    def key(self, key: str) -> str:
        """daprd's ``GetModifiedStateKey``."""
        if "||" in key:
            raise illegal_key(self.name, key)
        strategy = self.store.key_prefix
        if strategy == "none":
            return key
        if strategy == "name":
            return f"{self.name}||{key}"
        if strategy not in ("appid", "namespace"):
            return f"{strategy}||{key}"
        if not self.app_id:
            return key
        if strategy == "namespace" and self.namespace:
            return f"{self.namespace}.{self.app_id}||{key}"
        return f"{self.app_id}||{key}"


def target(stores: Mapping[str, StateStore], name: str, app_id: str) -> Target:
    """The store named ``name``; daprd's not-found (or not-configured) error when there is none."""
    store = stores.get(name)
    if store is None:
        raise store_missing(name, app_id, configured=bool(stores))
    return Target(store, name, app_id, _NAMESPACE)


@dataclass(frozen=True)
class Item:
    """One item of a save or delete, as both transports decode it (``value`` already encoded)."""

    key: str
    value: bytes = b""
    etag: str | None = None
    concurrency: str = ""
    consistency: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


def check_options(concurrency: str, consistency: str) -> None:
    """contrib ``state.CheckRequestOptions`` (consistency first); raises ValueError."""
    if consistency not in ("", "strong", "eventual"):
        raise ValueError(f"unrecognized consistency model '{consistency}'")
    if concurrency not in ("", "first-write", "last-write"):
        raise ValueError(f"unrecognized concurrency model '{concurrency}'")


def upsert(target: Target, item: Item, meta: Mapping[str, str], key: str) -> Upsert:
    """A checked ``Upsert`` of ``item`` under the stored ``key``; a bad option or TTL raises
    ValueError with the store's message."""
    check_options(item.concurrency, item.consistency)
    ttl = target.store.parse_ttl({**item.metadata, **meta})
    ttl_seconds = float(ttl) if ttl is not None else None
    first_write = item.concurrency == "first-write"
    return Upsert(key, item.value, item.etag or None, first_write, ttl_seconds)


def delete_op(item: Item, key: str) -> Delete:
    check_options(item.concurrency, item.consistency)
    return Delete(key, item.etag or None, item.concurrency == "first-write")


async def get(target: Target, key: str) -> StateItem | None:
    """The stored item, or None when there is none (or it is empty)."""
    try:
        item = await target.store.get(target.key(key))
    except StateStoreError as exc:
        message = f"fail to get {key} from state store {target.name}: {exc}"
        raise state_error("ERR_STATE_GET", message, exc) from exc
    return item if item is not None and item.value else None


async def bulk_get(target: Target, keys: Sequence[str]) -> list[StateItem | None]:
    stored = [target.key(k) for k in keys]
    try:
        return await target.store.bulk_get(stored) if stored else []
    except StateStoreError as exc:
        logger.warning("bulk get on %s failed: %s", target.name, exc)
        raise DaprError(500, "ERR_STATE_BULK_GET", str(exc)) from exc


async def save(target: Target, ops: Sequence[Upsert]) -> None:
    try:
        if len(ops) == 1:
            await target.store.set(ops[0])
        elif ops:
            await target.store.bulk_set(ops)
    except StateStoreError as exc:
        message = f"failed saving state in state store {target.name}"
        raise state_error("ERR_STATE_SAVE", message, exc) from exc


async def delete(target: Target, item: Item) -> None:
    op = delete_op(item, target.key(item.key))
    try:
        await target.store.delete(op)
    except StateStoreError as exc:
        prefix = f"failed deleting state with key {item.key}"
        raise state_error("ERR_STATE_DELETE", prefix, exc) from exc


async def bulk_delete(target: Target, items: Sequence[Item]) -> None:
    """Every item checked first, then all deleted in one transaction."""
    deletes = [delete_op(item, target.key(item.key)) for item in items]
    if not deletes:
        return
    try:
        await target.store.transact(deletes)
    except StateStoreError as exc:
        message = f"failed deleting state in state store {target.name}"
        raise state_error("ERR_STATE_DELETE", message, exc) from exc


@dataclass(frozen=True)
class TxnOp:
    """One operation of a transaction: the write, and what an outbox event of it carries (the
    operation's metadata, its content type, and its value as daprd renders it for the event)."""

    op: Upsert | Delete
    metadata: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""
    event_data: bytes = b""


class Outbox(Protocol):
    """The transactional outbox (``pubsub/outbox.py``) as a transaction uses it."""

    def enabled(self, store: str) -> bool: ...

    def transaction(
        self, store: str, ops: Sequence[TxnOp], trace: tuple[str, str]
    ) -> AbstractAsyncContextManager[list[Upsert | Delete]]:
        """Publish the events on entry (raising DaprError) and give the writes to commit
        instead of ``ops``; the exit tells the outbox whether the commit raised."""


async def transact(
    target: Target,
    txn: Sequence[TxnOp],
    outbox: Outbox | None = None,
    trace: tuple[str, str] = ("", ""),
) -> None:
    """The writes in one store transaction; with an outbox on the store, its events first."""
    if not txn:
        return
    if outbox is None or not outbox.enabled(target.name):
        await _commit(target, [t.op for t in txn])
        return
    async with outbox.transaction(target.name, txn, trace) as writes:
        await _commit(target, writes)


async def _commit(target: Target, ops: Sequence[Upsert | Delete]) -> None:
    try:
        await target.store.transact(ops)
    except StateStoreError as exc:
        message = f"error while executing state transaction: {exc}"
        logger.debug("state transaction on %s failed: %s", target.name, exc)
        raise DaprError(500, "ERR_STATE_TRANSACTION", message) from exc


def unsupported_operation(kind: str) -> DaprError:
    message = f"operation type {kind} not supported"
    return DaprError(400, "ERR_NOT_SUPPORTED_STATE_OPERATION", message).on_grpc("UNIMPLEMENTED")


def transaction_error(exc: Exception) -> DaprError:
    message = f"error while executing state transaction: {exc}"
    return DaprError(500, "ERR_STATE_TRANSACTION", message)


def querying_not_supported(store: str) -> KitError:
    """No store here implements Dapr's query API (state.sqlite does not in daprd either)."""
    resource = {"description": "", "owner": "", "resource_name": store, "resource_type": "state"}
    details = [{"@type": _GOOGLE + "ResourceInfo", **resource}]
    details.append(_error_info("DAPR_STATE_QUERYING_NOT_SUPPORTED", None))
    message = "state store does not support querying"
    return KitError(500, "ERR_STATE_STORE_NOT_SUPPORTED", message, details)
