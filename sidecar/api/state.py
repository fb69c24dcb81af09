"""The state HTTP API (daprd ``pkg/api/http/http.go``): save, get, delete, bulk get, transaction.

Request bodies are decoded the way daprd's Go decoders do (``encoding/json`` for save/bulk/
transaction bodies, ``mapstructure`` for transaction requests), with their error texts; values are
stored as Go re-serialises them (sorted keys, Go number format, ``<>&`` escaped). Everything a
request asks for is validated before the first write, so a refused request changes nothing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..clock import utc
from ..dapr_errors import ERROR_INFO_TYPE, DaprError, malformed
from ..state import (
    BulkSetError,
    Delete,
    EtagInvalidError,
    EtagMismatchError,
    StateItem,
    StateStore,
    StateStoreError,
    Upsert,
)
from ..web import empty, metadata_from_query, raw_json_response, read_body
from ._context import services_of
from .state_json import (
    BULK_BODY,
    MS_DELETE,
    MS_SET,
    SAVE_BODY,
    SET_REQUEST,
    TXN_BODY,
    TXN_OP,
    GoError,
    bad_save_body,
    decode,
    fields,
    go_marshal,
    ms_decode,
)

logger = logging.getLogger(__name__)

_GOOGLE = "type.googleapis.com/google.rpc."
_PREFIX = "/v1.0/state/"
# daprd reads NAMESPACE once, at start-up, for the ``namespace`` key-prefix strategy (unset in
# self-hosted mode, where that strategy falls back to the app id).
_NAMESPACE = os.environ.get("NAMESPACE", "")


# ---------------------------------------------------------------- errors daprd builds here


class _KitError(DaprError):
    """A dapr/kit rich error whose ``details`` list is written exactly as kit writes it."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]]):
        super().__init__(status, code, message)
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"errorCode": self.error_code, "message": self.message, "details": self.details}


def _error_info(reason: str, metadata: dict[str, str] | None) -> dict[str, Any]:
    return {"@type": ERROR_INFO_TYPE, "domain": "dapr.io", "metadata": metadata, "reason": reason}


def _store_missing(name: str, app_id: str, configured: bool) -> _KitError:
    meta = {"appID": app_id} if app_id else None
    if configured:
        info = _error_info("DAPR_STATE_NOT_FOUND", meta)
        message = f"state store {name} is not found"
        return _KitError(400, "ERR_STATE_STORE_NOT_FOUND", message, [info])
    info = _error_info("DAPR_STATE_NOT_CONFIGURED", meta)
    message = f"state store {name} is not configured"
    return _KitError(500, "ERR_STATE_STORE_NOT_CONFIGURED", message, [info])


def _illegal_key(store: str, key: str) -> _KitError:
    detail = f"input key/keyPrefix '{key}' can't contain '||'"
    message = f"api error: code = InvalidArgument desc = {detail}"
    violation = {"field": key, "description": message}
    resource = {"description": "", "owner": "", "resource_name": store, "resource_type": "state"}
    details: list[dict[str, Any]] = [
        {"@type": _GOOGLE + "BadRequest", "field_violations": [violation]},
        {"@type": _GOOGLE + "ResourceInfo", **resource},
        _error_info("DAPR_STATE_ILLEGAL_KEY", None),
    ]
    return _KitError(400, "ERR_MALFORMED_REQUEST", message, details)


def _state_error(code: str, message: str, exc: StateStoreError) -> DaprError:
    """daprd's ``stateErrorResponse``: 409 for an ETag mismatch, 400 invalid, else 500."""
    if isinstance(exc, BulkSetError):
        invalid = any(isinstance(e, EtagInvalidError) for e in exc.errors)
        kind = "invalid etag value" if invalid else "possible etag mismatch. error from state store"
        return DaprError(400 if invalid else 409, code, f"{message}: {kind}: {exc}")
    status = 409 if isinstance(exc, EtagMismatchError) else 500
    status = 400 if isinstance(exc, EtagInvalidError) else status
    if status == 500:
        logger.warning("%s: %s", code, exc)
    return DaprError(status, code, f"{message}: {exc}")


# ---------------------------------------------------------------- request → store operations


@dataclass(frozen=True)
class _Target:
    """The store a request addresses, and how its keys are prefixed."""

    store: StateStore
    name: str
    app_id: str
    namespace: str

    def key(self, key: str) -> str:
        """daprd's ``GetModifiedStateKey``."""
        if "||" in key:
            raise _illegal_key(self.name, key)
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


def _path_params(request: Request) -> tuple[str, str]:
    """``(store, key)`` unescaped as Go's ``url.QueryUnescape`` does (``+`` is a space)."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and raw.startswith(_PREFIX.encode()):
        store, _, key = raw[len(_PREFIX) :].decode("latin-1").partition("/")
        return unquote_plus(store), unquote_plus(key)
    return request.path_params["store"], request.path_params.get("key", "")


def _target(request: Request) -> _Target:
    services = services_of(request)
    name = _path_params(request)[0]
    app_id = services.identity.app_id
    stores: Mapping[str, StateStore] = services.state_stores
    store = stores.get(name)
    if store is None:
        raise _store_missing(name, app_id, configured=bool(stores))
    return _Target(store, name, app_id, _NAMESPACE)


def _query(request: Request, name: str) -> str:
    values = request.query_params.getlist(name)
    return values[0] if values else ""


def _check_options(concurrency: str, consistency: str) -> None:
    """contrib ``state.CheckRequestOptions`` (consistency first)."""
    if consistency not in ("", "strong", "eventual"):
        raise ValueError(f"unrecognized consistency model '{consistency}'")
    if concurrency not in ("", "first-write", "last-write"):
        raise ValueError(f"unrecognized concurrency model '{concurrency}'")


def _upsert(target: _Target, item: Mapping[str, Any], meta: Mapping[str, str], key: str) -> Upsert:
    """A checked ``Upsert``; a bad option or TTL raises ValueError with the store's message."""
    options = {k.lower(): v for k, v in (item.get("options") or {}).items() if v is not None}
    concurrency = str(options.get("concurrency", ""))
    _check_options(concurrency, str(options.get("consistency", "")))
    own = {k: v or "" for k, v in (item.get("metadata") or {}).items()}  # Go: null → ""
    ttl = target.store.parse_ttl({**own, **meta})
    etag = item.get("etag") or None
    value = go_marshal(item.get("value"))
    ttl_seconds = float(ttl) if ttl is not None else None
    return Upsert(key, value, etag, concurrency == "first-write", ttl_seconds)


def _delete(item: Mapping[str, Any], key: str) -> Delete:
    options = {k.lower(): v for k, v in (item.get("options") or {}).items() if v is not None}
    concurrency = str(options.get("concurrency", ""))
    _check_options(concurrency, str(options.get("consistency", "")))
    return Delete(key, item.get("etag") or None, concurrency == "first-write")


def _save_ops(target: _Target, items: list[Any], meta: Mapping[str, str]) -> list[Upsert]:
    keys: list[str] = []
    for raw in items:
        item = fields(raw, SET_REQUEST)
        if not item.get("key"):
            raise DaprError(400, "ERR_MALFORMED_REQUEST", '"key" is a required field')
        keys.append(target.key(item["key"]))
    ops, problems = [], []
    for raw, key in zip(items, keys, strict=True):
        try:
            ops.append(_upsert(target, fields(raw, SET_REQUEST), meta, key))
        except (ValueError, GoError) as exc:
            problems.append(str(exc))
    if problems:
        message = f"failed saving state in state store {target.name}: " + "\n".join(problems)
        raise DaprError(500, "ERR_STATE_SAVE", message)
    return ops


def _txn_op(target: _Target, op: Mapping[str, Any], meta: Mapping[str, str]) -> Upsert | Delete:
    kind = op.get("operation", "")
    if kind not in ("upsert", "delete"):
        message = f"operation type {kind} not supported"
        raise DaprError(400, "ERR_NOT_SUPPORTED_STATE_OPERATION", message)
    request = ms_decode(op.get("request"), MS_SET if kind == "upsert" else MS_DELETE)
    key = target.key(str(request.get("key", "")))
    try:
        if kind == "upsert":
            return _upsert(target, request, meta, key)
        return _delete(request, key)
    except (ValueError, GoError) as exc:
        raise DaprError(
            500, "ERR_STATE_TRANSACTION", f"error while executing state transaction: {exc}"
        ) from None


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
    target = _target(request)
    key = _path_params(request)[1]
    stored = target.key(key)
    try:
        item = await target.store.get(stored)
    except StateStoreError as exc:
        message = f"fail to get {key} from state store {target.name}: {exc}"
        raise _state_error("ERR_STATE_GET", message, exc) from exc
    if item is None or not item.value:
        return empty()
    headers = {"ETag": item.etag}
    headers.update({f"metadata.{k}": v for k, v in _ttl_header(item).items()})
    return raw_json_response(item.value, 200, headers)


async def delete_state(request: Request) -> Response:
    target = _target(request)
    key = _path_params(request)[1]
    stored = target.key(key)
    prefix = f"failed deleting state with key {key}"
    options = {"concurrency": _query(request, "concurrency")}
    options["consistency"] = _query(request, "consistency")
    item = {"options": options, "etag": request.headers.get("if-match")}
    try:
        await target.store.delete(_delete(item, stored))
    except StateStoreError as exc:
        raise _state_error("ERR_STATE_DELETE", prefix, exc) from exc
    return empty()


async def save_state(request: Request) -> Response:
    target = _target(request)
    items = decode(await read_body(request), SAVE_BODY, bad_save_body) or []
    if not items:
        return empty()
    ops = _save_ops(target, items, metadata_from_query(request))
    try:
        if len(ops) == 1:
            await target.store.set(ops[0])
        else:
            await target.store.bulk_set(ops)
    except StateStoreError as exc:
        message = f"failed saving state in state store {target.name}"
        raise _state_error("ERR_STATE_SAVE", message, exc) from exc
    return empty()


async def bulk_get_state(request: Request) -> Response:
    target = _target(request)
    body = fields(decode(await read_body(request), BULK_BODY, malformed), BULK_BODY)
    keys = [k or "" for k in body.get("keys") or []]
    stored = [target.key(k) for k in keys]
    try:
        items = await target.store.bulk_get(stored) if stored else []
    except StateStoreError as exc:
        logger.warning("bulk get on %s failed: %s", target.name, exc)
        raise DaprError(500, "ERR_STATE_BULK_GET", str(exc)) from exc
    if any(item is not None and not _is_json(item.value) for item in items):
        return raw_json_response(b"")  # Go's encoder fails before writing: 200, no body
    entries = ",".join(_bulk_entry(k, item) for k, item in zip(keys, items, strict=True))
    return raw_json_response(f"[{entries}]\n".encode())


async def transact_state(request: Request) -> Response:
    target = _target(request)
    body = fields(decode(await read_body(request), TXN_BODY, malformed), TXN_BODY)
    operations = [fields(op, TXN_OP) for op in body.get("operations") or []]
    if not operations:
        return empty()
    meta = metadata_from_query(request)
    ops = [_txn_op(target, op, meta) for op in operations]
    try:
        await target.store.transact(ops)
    except StateStoreError as exc:
        message = f"error while executing state transaction: {exc}"
        logger.debug("state transaction on %s failed: %s", target.name, exc)
        raise DaprError(500, "ERR_STATE_TRANSACTION", message) from exc
    return empty()


routes: list[Route] = [
    Route("/v1.0/state/{store}", save_state, methods=["POST", "PUT"]),
    Route("/v1.0/state/{store}/bulk", bulk_get_state, methods=["POST", "PUT"]),
    Route("/v1.0/state/{store}/transaction", transact_state, methods=["POST", "PUT"]),
    Route("/v1.0/state/{store}/{key:path}", get_state, methods=["GET"]),
    Route("/v1.0/state/{store}/{key:path}", delete_state, methods=["DELETE"]),
]
