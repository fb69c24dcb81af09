"""Actor state: reads and transactions on the actor state store (dapr-sidecar.md §2.2, §2.3, §4.1).

Keys are ``{appId}||{type}||{id}||{key}`` with the app id of the sidecar that serves the call.
Values are re-encoded the way Go's ``encoding/json`` writes them (sorted keys, compact, ``<>&``
escaped), because daprd stores the decoded-then-marshalled value, not the bytes it was sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..dapr_errors import DaprError, malformed
from ..godecode import go_marshal
from ..state import Delete, StateItem, StateStore, StateStoreError, Upsert

TTL_FEATURE_MESSAGE = 'ttlInSeconds is not supported without the "ActorStateTTL" feature enabled'
RUNTIME_NOT_FOUND = (
    "the state store is not configured to use the actor runtime. Have you set the"
    ' - name: actorStateStore value: "true" in your state store component file?'
)


def runtime_not_found() -> DaprError:
    return DaprError(500, "ERR_ACTOR_RUNTIME_NOT_FOUND", RUNTIME_NOT_FOUND)


def actor_store(stores: Mapping[str, StateStore]) -> StateStore | None:
    return next((s for s in stores.values() if s.actor_state_store), None)


def state_key(app_id: str, actor_type: str, actor_id: str, key: str) -> str:
    return f"{app_id}||{actor_type}||{actor_id}||{key}"


def _save_error(message: str) -> DaprError:
    return DaprError(
        500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", f"error saving actor transaction state: {message}"
    )


def parse_operations(body: Any, prefix: str) -> list[Upsert | Delete]:
    """The store operations for a transaction body (a JSON array); DaprError when it is bad."""
    if not isinstance(body, list):
        raise malformed(
            "json: cannot unmarshal object into Go value of type []api.TransactionalOperation"
        )
    return [_operation(op, prefix) for op in body]


def _operation(op: Any, prefix: str) -> Upsert | Delete:
    if not isinstance(op, dict):
        raise malformed("json: cannot unmarshal into Go value of type api.TransactionalOperation")
    request = op.get("request") if isinstance(op.get("request"), dict) else {}
    assert isinstance(request, dict)
    key = request.get("key")
    etag = request.get("etag") if isinstance(request.get("etag"), str) else None
    metadata = request.get("metadata") or {}
    value = go_marshal(request.get("value")) if op.get("operation") == "upsert" else b""
    key_text = key if isinstance(key, str) else ""
    return operation(op.get("operation"), key_text, value, etag, metadata, prefix)


def operation(
    kind: Any, key: str, value: bytes, etag: str | None, metadata: Any, prefix: str
) -> Upsert | Delete:
    """One checked operation of an actor state transaction (both transports)."""
    if key == "":
        raise _save_error("missing key")
    if kind == "upsert":
        if isinstance(metadata, dict) and metadata.get("ttlInSeconds") not in (None, ""):
            raise _save_error(TTL_FEATURE_MESSAGE)
        return Upsert(prefix + key, value, etag=etag or None)
    if kind == "delete":
        return Delete(prefix + key, etag=etag or None)
    raise _save_error(f"operation type {kind} not supported")


async def transact(store: StateStore, ops: list[Upsert | Delete]) -> None:
    try:
        await store.transact(ops)
    except StateStoreError as exc:
        raise _save_error(str(exc)) from exc


async def read(store: StateStore, key: str) -> StateItem | None:
    try:
        return await store.get(key)
    except StateStoreError as exc:
        raise DaprError(500, "ERR_ACTOR_STATE_GET", f"error getting actor state: {exc}") from exc
