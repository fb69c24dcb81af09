"""The state HTTP API (daprd ``pkg/api/http/http.go``): save, get, delete, bulk get, transaction.

Request bodies are decoded the way daprd's Go decoders do (``encoding/json`` for save/bulk/
transaction bodies, ``mapstructure`` for transaction requests), with their error texts; values are
stored as Go re-serialises them (sorted keys, Go number format, ``<>&`` escaped). Everything a
request asks for is validated before the first write, so a refused request changes nothing.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .._clock import utc
from .._errors import ERROR_INFO_TYPE, DaprError, malformed
from ..state import (
    BulkSetError,
    Delete,
    EtagInvalidError,
    EtagMismatchError,
    StateItem,
    StateStore,
    Upsert,
)
from ._common import empty, metadata_from_query, raw_json_response, read_body, sidecar_of

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
    message = f"input key/keyPrefix '{key}' can't contain '||'"
    violation = {"field": key, "description": message}
    resource = {"description": "", "owner": "", "resource_name": store, "resource_type": "state"}
    details: list[dict[str, Any]] = [
        {"@type": _GOOGLE + "BadRequest", "field_violations": [violation]},
        {"@type": _GOOGLE + "ResourceInfo", **resource},
        _error_info("DAPR_STATE_ILLEGAL_KEY", None),
    ]
    return _KitError(400, "ERR_MALFORMED_REQUEST", message, details)


def _state_error(code: str, message: str, exc: Exception) -> DaprError:
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


# ---------------------------------------------------------------- Go's JSON, both directions


class _GoError(Exception):
    """A Go decoder's error text."""


def _go_char(char: str) -> str:
    if char in "'\"":
        return "'\\''" if char == "'" else "'\"'"
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in escapes:
        return f"'{escapes[char]}'"
    return f"'{char}'" if char.isprintable() else f"'\\x{ord(char) & 0xFF:02x}'"


def _innermost(doc: str, end: int) -> str:
    """The innermost open bracket before ``end`` ("" at top level)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in doc[:end]:
        if in_string:
            escaped, in_string = (not escaped and char == "\\"), escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _go_syntax(exc: json.JSONDecodeError) -> str:
    doc, pos = exc.doc, exc.pos
    if exc.msg.startswith("Unterminated") or pos >= len(doc.rstrip()):
        return "unexpected EOF"
    if exc.msg.startswith("Invalid \\escape"):
        return f"invalid character {_go_char(doc[pos + 1])} in string escape code"
    context = {
        "Expecting value": "looking for beginning of value",
        "Expecting property name enclosed in double quotes": "looking for beginning of object key"
        " string",
        "Expecting ':' delimiter": "after object key",
        "Invalid control character at": "in string literal",
    }.get(exc.msg)
    if context is None:
        inside = _innermost(doc, pos)
        context = "after object key:value pair" if inside == "{" else "after array element"
    return f"invalid character {_go_char(doc[pos])} {context}"


def _reject_constant(name: str) -> NoReturn:
    context = "in numeric literal" if name.startswith("-") else "looking for beginning of value"
    raise _GoError(f"invalid character {_go_char(name.lstrip('-')[0])} {context}")


def _float64(text: str) -> float:
    """Go decodes JSON numbers as float64; beyond its range (1e400, 10**400) is an error."""
    if not math.isfinite(float(text)):
        raise _GoError(f"json: cannot unmarshal number {text[:40]} into Go value of type float64")
    return float(text)


def _float64_int(text: str) -> int:
    _float64(text)
    return int(text)


_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_float64, parse_int=_float64_int
)


def _go_loads(body: bytes) -> Any:
    """``json.NewDecoder(body).Decode``: the first JSON value; an empty body is ``EOF``."""
    text = body.decode("utf-8", "replace")
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text):
        raise _GoError("EOF")
    try:
        return _DECODER.raw_decode(text, start)[0]
    except json.JSONDecodeError as exc:
        raise _GoError(_go_syntax(exc)) from None
    except RecursionError:  # Go's decoder stops at 10000 levels; Python's recursion earlier
        raise _GoError("exceeded max depth") from None


def _go_number(value: float) -> str:
    """``encoding/json``'s float64 format (shortest repr; exponent outside [1e-6, 1e21))."""
    if not math.isfinite(value):
        raise _GoError(f"json: unsupported value: {value}")
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    if 1e-6 <= abs(value) < 1e21:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return re.sub(r"e-0(\d)$", r"e-\1", repr(value))


def _go_dump(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{_go_dump(k)}:{_go_dump(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_go_dump(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _go_number(float(value))


_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RE = re.compile("[<>&\u2028\u2029]|[\ud800-\udfff]")


def go_marshal(value: Any) -> bytes:
    """Go's ``json.Marshal`` of a value decoded into ``any``."""
    text = _HTML_RE.sub(lambda m: _HTML.get(m.group(), "\ufffd"), _go_dump(value))
    return text.encode()


# ---------------------------------------------------------------- Go's type checks


@dataclass(frozen=True)
class _Struct:
    go: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class _Slice:
    go: str
    elem: Any


_STR, _INT, _ANY, _MAP = "string", "int", "any", "map[string]string"
_SET_OPTIONS = _Struct("state.SetStateOption", {"Concurrency": _STR, "Consistency": _STR})
_SET_REQUEST = _Struct(
    "state.SetRequest",
    {"key": _STR, "value": _ANY, "etag": _STR, "metadata": _MAP, "options": _SET_OPTIONS,
     "contentType": _STR},
)  # fmt: skip
_SAVE_BODY = _Slice("[]state.SetRequest", _SET_REQUEST)
_BULK_BODY = _Struct(
    "http.BulkGetRequest",
    {"metadata": _MAP, "keys": _Slice("[]string", _STR), "parallelism": _INT},
)
_TXN_OP = _Struct("http.stateTransactionRequestBodyOperation", {"operation": _STR, "request": _ANY})
_TXN_BODY = _Struct(
    "http.stateTransactionRequestBody",
    {"operations": _Slice("[]http.stateTransactionRequestBodyOperation", _TXN_OP),
     "metadata": _MAP},
)  # fmt: skip


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    kinds: dict[type, str] = {dict: "object", list: "array", str: "string"}
    return kinds.get(type(value), "number")


def _type_error(value: Any, schema: Any, struct: str, path: tuple[str, ...]) -> str | None:
    """The first ``UnmarshalTypeError`` Go reports decoding ``value`` into ``schema``."""
    go = schema if isinstance(schema, str) else schema.go
    if value is None or schema == _ANY:
        return None
    if isinstance(schema, _Struct):
        return _struct_error(value, schema, path) if isinstance(value, dict) else _at(value, go)
    if isinstance(schema, _Slice):
        if not isinstance(value, list):
            return _at(value, go, struct, path)
        return next(
            (e for v in value if (e := _type_error(v, schema.elem, struct, path))), None
        )  # fmt: skip
    if schema == _MAP:
        if not isinstance(value, dict):
            return _at(value, go, struct, path)
        bad = next((v for v in value.values() if v is not None and not isinstance(v, str)), None)
        return None if bad is None else _at(bad, "string", struct, path)
    if schema == _INT and isinstance(value, int) and not isinstance(value, bool):
        return None
    if schema == _INT and isinstance(value, float):
        return _at(value, go, struct, path, f"number {_go_number(value)}")
    return None if isinstance(value, str) and schema == _STR else _at(value, go, struct, path)


def _struct_error(value: dict[str, Any], schema: _Struct, path: tuple[str, ...]) -> str | None:
    name = schema.go.rpartition(".")[2]
    for key, item in value.items():
        field = _field_name(schema.fields, key)
        if field is not None:
            error = _type_error(item, schema.fields[field], name, (*path, field))
            if error:
                return error
    return None


def _field_name(fields: Mapping[str, Any], key: str) -> str | None:
    if key in fields:
        return key
    return next((f for f in fields if f.lower() == key.lower()), None)


def _at(value: Any, go: str, struct: str = "", path: tuple[str, ...] = (), kind: str = "") -> str:
    kind = kind or _kind(value)
    if not path:
        return f"json: cannot unmarshal {kind} into Go value of type {go}"
    field = f"{struct}.{'.'.join(path)}"
    return f"json: cannot unmarshal {kind} into Go struct field {field} of type {go}"


def _fields(value: Any, schema: _Struct) -> dict[str, Any]:
    """A type-checked JSON object as ``{json field: value}`` (case-insensitive, last one wins)."""
    out: dict[str, Any] = {}
    for key, item in (value or {}).items():
        field = _field_name(schema.fields, key)
        if field is not None and item is not None:
            out[field] = item
    return out


def _decode(body: bytes, schema: Any, wrap: Callable[[str], DaprError]) -> Any:
    try:
        value = _go_loads(body)
    except _GoError as exc:
        raise wrap(str(exc)) from None
    error = _type_error(value, schema, "", ())
    if error:
        raise wrap(error)
    return value


def _bad_save_body(detail: str) -> DaprError:
    return DaprError(400, "ERR_MALFORMED_REQUEST", detail)


# ---------------------------------------------------------------- mapstructure (transactions)


def _go_v(value: Any) -> str:
    """``fmt``'s ``%v`` of a value decoded into ``any``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _go_g(float(value))
    if isinstance(value, list):
        return "[" + " ".join(_go_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_v(v)}" for k, v in sorted(value.items())) + "]"
    return "<nil>" if value is None else str(value)


def _go_g(value: float) -> str:
    """``%v`` of a float64: shortest digits, exponent form outside [1e-4, 1e6)."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    dec = Decimal(repr(value))
    exponent = dec.adjusted()
    if value == 0 or -4 <= exponent < 6:
        return _go_number(value)
    digits = "".join(map(str, dec.as_tuple().digits)).rstrip("0") or "0"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if value < 0 else ""
    return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _go_type(value: Any) -> str:
    names: dict[type, str] = {bool: "bool", str: "string", list: "[]interface {}"}
    names[dict] = "map[string]interface {}"
    return names.get(type(value), "float64")


def _ms_kind(value: Any) -> str:
    kinds: dict[type, str] = {list: "slice", dict: "map"}
    return kinds.get(type(value), _go_type(value))


def _ms_errors(value: Any, fields: Mapping[str, Any], name: str = "") -> list[str]:
    """mapstructure's errors decoding ``value`` into a struct with ``fields`` (Go names)."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [f"'{name}' expected a map, got '{_ms_kind(value)}'"]
    errors: list[str] = []
    for field, schema in fields.items():
        key = next((k for k in value if k == field), None) or next(
            (k for k in value if k.lower() == field.lower()), None
        )
        if key is not None:
            errors += _ms_field(value[key], schema, f"{name}.{field}" if name else field)
    return errors


def _ms_field(value: Any, schema: Any, name: str) -> list[str]:
    if value is None or schema == _ANY:
        return []
    if isinstance(schema, dict):
        return _ms_errors(value, schema, name)
    if schema == _MAP:
        if not isinstance(value, dict):
            return [f"'{name}' expected a map, got '{_ms_kind(value)}'"]
        return [e for k, v in value.items() for e in _ms_field(v, _STR, f"{name}[{k}]")]
    if isinstance(value, str):
        return []
    return [
        f"'{name}' expected type 'string', got unconvertible type '{_go_type(value)}', "
        f"value: '{_go_v(value)}'"
    ]


_MS_OPTIONS = {"Concurrency": _STR, "Consistency": _STR}
_MS_SET = {"Key": _STR, "Value": _ANY, "ETag": _STR, "Metadata": _MAP, "Options": _MS_OPTIONS,
           "ContentType": _STR}  # fmt: skip
_MS_DELETE = {"Key": _STR, "ETag": _STR, "Metadata": _MAP, "Options": _MS_OPTIONS}


def _ms_decode(value: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
    errors = _ms_errors(value, fields)
    if errors:
        points = "\n".join(sorted(f"* {e}" for e in errors))
        raise malformed(f"{len(errors)} error(s) decoding:\n\n{points}")
    out: dict[str, Any] = {}
    for field in fields:
        key = next((k for k in (value or {}) if k.lower() == field.lower()), None)
        if key is not None and value[key] is not None:
            out[field.lower()] = value[key]
    return out


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
    sidecar = sidecar_of(request)
    name = _path_params(request)[0]
    app_id = sidecar.config.app_id
    stores: Mapping[str, StateStore] = sidecar.state_stores
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
        item = _fields(raw, _SET_REQUEST)
        if not item.get("key"):
            raise DaprError(400, "ERR_MALFORMED_REQUEST", '"key" is a required field')
        keys.append(target.key(item["key"]))
    ops, problems = [], []
    for raw, key in zip(items, keys, strict=True):
        try:
            ops.append(_upsert(target, _fields(raw, _SET_REQUEST), meta, key))
        except (ValueError, _GoError) as exc:
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
    request = _ms_decode(op.get("request"), _MS_SET if kind == "upsert" else _MS_DELETE)
    key = target.key(str(request.get("key", "")))
    try:
        if kind == "upsert":
            return _upsert(target, request, meta, key)
        return _delete(request, key)
    except (ValueError, _GoError) as exc:
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
    except Exception as exc:
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
    except Exception as exc:
        raise _state_error("ERR_STATE_DELETE", prefix, exc) from exc
    return empty()


async def save_state(request: Request) -> Response:
    target = _target(request)
    items = _decode(await read_body(request), _SAVE_BODY, _bad_save_body) or []
    if not items:
        return empty()
    ops = _save_ops(target, items, metadata_from_query(request))
    try:
        if len(ops) == 1:
            await target.store.set(ops[0])
        else:
            await target.store.bulk_set(ops)
    except Exception as exc:
        message = f"failed saving state in state store {target.name}"
        raise _state_error("ERR_STATE_SAVE", message, exc) from exc
    return empty()


async def bulk_get_state(request: Request) -> Response:
    target = _target(request)
    body = _fields(_decode(await read_body(request), _BULK_BODY, malformed), _BULK_BODY)
    keys = [k or "" for k in body.get("keys") or []]
    stored = [target.key(k) for k in keys]
    try:
        items = await target.store.bulk_get(stored) if stored else []
    except Exception as exc:
        logger.warning("bulk get on %s failed: %s", target.name, exc)
        raise DaprError(500, "ERR_STATE_BULK_GET", str(exc)) from exc
    if any(item is not None and not _is_json(item.value) for item in items):
        return raw_json_response(b"")  # Go's encoder fails before writing: 200, no body
    entries = ",".join(_bulk_entry(k, item) for k, item in zip(keys, items, strict=True))
    return raw_json_response(f"[{entries}]\n".encode())


async def transact_state(request: Request) -> Response:
    target = _target(request)
    body = _fields(_decode(await read_body(request), _TXN_BODY, malformed), _TXN_BODY)
    operations = [_fields(op, _TXN_OP) for op in body.get("operations") or []]
    if not operations:
        return empty()
    meta = metadata_from_query(request)
    ops = [_txn_op(target, op, meta) for op in operations]
    try:
        await target.store.transact(ops)
    except Exception as exc:
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
