"""The state HTTP API (daprd ``pkg/api/http/http.go``): save, get, delete, bulk get, transaction.

Request bodies are decoded the way daprd's Go decoders do (``encoding/json`` for save/bulk/
transaction bodies, ``mapstructure`` for transaction requests), with their error texts; values are
stored as Go re-serialises them (sorted keys, Go number format, ``<>&`` escaped). The operations
themselves, shared with the gRPC API, are in ``state/operations.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..clock import utc
from ..dapr_errors import DaprError, malformed
from ..godecode import GoError, go_marshal, go_sprint
from ..pubsub.publishing import caller_trace
from ..state import StateItem, Upsert
from ..state import operations as ops
from ..web import empty, metadata_from_query, raw_json_response, read_body
from ._context import services_of
from ._state_bodies import (
    BULK_BODY,
    MS_DELETE,
    MS_SET,
    SAVE_BODY,
    SET_REQUEST,
    TXN_BODY,
    TXN_OP,
    bad_save_body,
    decode,
    fields,
    ms_decode,
)

_PREFIX = "/v1.0/state/"


def _path_params(request: Request) -> tuple[str, str]:
    """``(store, key)`` unescaped as Go's ``url.QueryUnescape`` does (``+`` is a space)."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and raw.startswith(_PREFIX.encode()):
        store, _, key = raw[len(_PREFIX) :].decode("latin-1").partition("/")
        return unquote_plus(store), unquote_plus(key)
    return request.path_params["store"], request.path_params.get("key", "")


def _target(request: Request) -> ops.Target:
    services = services_of(request)
    name = _path_params(request)[0]
    return ops.target(services.state_stores, name, services.identity.app_id)


def _query(request: Request, name: str) -> str:
    values = request.query_params.getlist(name)
    return values[0] if values else ""


def _item(item: Mapping[str, Any], *, with_value: bool) -> ops.Item:
    """A decoded JSON item (``SetRequest``/``DeleteRequest``) as the operations take it."""
    options = {k.lower(): v for k, v in (item.get("options") or {}).items() if v is not None}
    own = {k: v or "" for k, v in (item.get("metadata") or {}).items()}  # Go: null → ""
    return ops.Item(
        key=str(item.get("key") or ""),
        value=go_marshal(item.get("value")) if with_value else b"",
        etag=item.get("etag") or None,
        concurrency=str(options.get("concurrency", "")),
        consistency=str(options.get("consistency", "")),
        metadata=own,
    )


def _save_ops(target: ops.Target, items: list[Any], meta: Mapping[str, str]) -> list[Upsert]:
    keys: list[str] = []
    for raw in items:
        item = fields(raw, SET_REQUEST)
        if not item.get("key"):
            raise DaprError(400, "ERR_MALFORMED_REQUEST", '"key" is a required field')
        keys.append(target.key(item["key"]))
    upserts, problems = [], []
    for raw, key in zip(items, keys, strict=True):
        try:
            upserts.append(
                ops.upsert(target, _item(fields(raw, SET_REQUEST), with_value=True), meta, key)
            )
        except (ValueError, GoError) as exc:
            problems.append(str(exc))
    if problems:
        message = f"failed saving state in state store {target.name}: " + "\n".join(problems)
        raise DaprError(500, "ERR_STATE_SAVE", message)
    return upserts


def _txn_op(target: ops.Target, op: Mapping[str, Any], meta: Mapping[str, str]) -> ops.TxnOp:
    kind = op.get("operation", "")
    if kind not in ("upsert", "delete"):
        raise ops.unsupported_operation(kind)
    request = ms_decode(op.get("request"), MS_SET if kind == "upsert" else MS_DELETE)
    key = target.key(str(request.get("key", "")))
    try:
        item = _item(request, with_value=kind == "upsert")
        if kind == "upsert":
            return _outbox_view(request, ops.upsert(target, item, meta, key), meta)
        return ops.TxnOp(ops.delete_op(item, key), {**item.metadata, **meta})
    except (ValueError, GoError) as exc:
        raise ops.transaction_error(exc) from None


def _outbox_view(request: Mapping[str, Any], write: Upsert, meta: Mapping[str, str]) -> ops.TxnOp:
    """What an outbox event of this upsert carries: daprd merges the query's metadata into the
    operation's, and renders the value with ``%v`` (``json.Marshal`` for ``application/json``)."""
    metadata = {**{k: v or "" for k, v in (request.get("metadata") or {}).items()}, **meta}
    content_type = str(request.get("contenttype") or metadata.get("contentType", ""))
    value = request.get("value")
    json_type = content_type.lower() == "application/json"
    data = go_marshal(value) if json_type else go_sprint(value)
    return ops.TxnOp(write, metadata, content_type, data)


# ---------------------------------------------------------------- responses


def _ttl_header(item: StateItem) -> dict[str, str]:
    if item.expire_at is None:
        return {}
    return {"ttlExpireTime": utc(item.expire_at).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _bulk_entry(key: str, item: StateItem | None) -> str:
    parts = [f'"key":{go_marshal(key).decode()}']
    if item is not None and item.value:
        parts.append(f'"data":{item.value.decode("utf-8", "replace")}')
        parts.append(f'"etag":{go_marshal(item.etag).decode()}')
        if meta := _ttl_header(item):
            parts.append(f'"metadata":{go_marshal(meta).decode()}')
    return "{" + ",".join(parts) + "}"


def _is_json(value: bytes) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- handlers


async def get_state(request: Request) -> Response:
    item = await ops.get(_target(request), _path_params(request)[1])
    if item is None:
        return empty()
    headers = {"ETag": item.etag}
    headers.update({f"metadata.{k}": v for k, v in _ttl_header(item).items()})
    return raw_json_response(item.value, 200, headers)


async def delete_state(request: Request) -> Response:
    target = _target(request)
    item = ops.Item(
        key=_path_params(request)[1],
        etag=request.headers.get("if-match") or None,
        concurrency=_query(request, "concurrency"),
        consistency=_query(request, "consistency"),
    )
    await ops.delete(target, item)
    return empty()


async def save_state(request: Request) -> Response:
    target = _target(request)
    items = decode(await read_body(request), SAVE_BODY, bad_save_body) or []
    if items:
        await ops.save(target, _save_ops(target, items, metadata_from_query(request)))
    return empty()


async def bulk_get_state(request: Request) -> Response:
    target = _target(request)
    body = fields(decode(await read_body(request), BULK_BODY, malformed), BULK_BODY)
    keys = [k or "" for k in body.get("keys") or []]
    items = await ops.bulk_get(target, keys)
    if any(item is not None and not _is_json(item.value) for item in items):
        return raw_json_response(b"")  # Go's encoder fails before writing: 200, no body
    entries = ",".join(_bulk_entry(k, item) for k, item in zip(keys, items, strict=True))
    return raw_json_response(f"[{entries}]\n".encode())


async def transact_state(request: Request) -> Response:
    target = _target(request)
    body = fields(decode(await read_body(request), TXN_BODY, malformed), TXN_BODY)
    operations = [fields(op, TXN_OP) for op in body.get("operations") or []]
    meta = metadata_from_query(request)
    txn = [_txn_op(target, op, meta) for op in operations]
    trace = (request.headers.get("traceparent", ""), request.headers.get("tracestate", ""))
    await ops.transact(target, txn, services_of(request).outbox, caller_trace(*trace))
    return empty()


routes: list[Route] = [
    Route("/v1.0/state/{store}", save_state, methods=["POST", "PUT"]),
    Route("/v1.0/state/{store}/bulk", bulk_get_state, methods=["POST", "PUT"]),
    Route("/v1.0/state/{store}/transaction", transact_state, methods=["POST", "PUT"]),
    Route("/v1.0/state/{store}/{key:path}", get_state, methods=["GET"]),
    Route("/v1.0/state/{store}/{key:path}", delete_state, methods=["DELETE"]),
]
