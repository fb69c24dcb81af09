"""The state API's request bodies as daprd decodes them: Go's ``encoding/json`` type checks into
daprd's structs (save, bulk get, transaction) and ``mapstructure``'s into a transaction's
operations, with their error texts. Private to ``api/state.py``; the gRPC state RPCs get typed
protobuf messages and share only ``state/operations.py`` with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import gojson
from ..dapr_errors import DaprError, malformed
from ..godecode import GoError, go_loads

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
SET_REQUEST = _Struct(
    "state.SetRequest",
    {"key": _STR, "value": _ANY, "etag": _STR, "metadata": _MAP, "options": _SET_OPTIONS,
     "contentType": _STR},
)  # fmt: skip
SAVE_BODY = _Slice("[]state.SetRequest", SET_REQUEST)
BULK_BODY = _Struct(
    "http.BulkGetRequest",
    {"metadata": _MAP, "keys": _Slice("[]string", _STR), "parallelism": _INT},
)
TXN_OP = _Struct("http.stateTransactionRequestBodyOperation", {"operation": _STR, "request": _ANY})
TXN_BODY = _Struct(
    "http.stateTransactionRequestBody",
    {"operations": _Slice("[]http.stateTransactionRequestBodyOperation", TXN_OP),
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
        return _at(value, go, struct, path, f"number {gojson.number(value)}")
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


def fields(value: Any, schema: _Struct) -> dict[str, Any]:
    """A type-checked JSON object as ``{json field: value}`` (case-insensitive, last one wins)."""
    out: dict[str, Any] = {}
    for key, item in (value or {}).items():
        field = _field_name(schema.fields, key)
        if field is not None and item is not None:
            out[field] = item
    return out


def decode(body: bytes, schema: Any, wrap: Callable[[str], DaprError]) -> Any:
    try:
        value = go_loads(body)
    except GoError as exc:
        raise wrap(str(exc)) from None
    error = _type_error(value, schema, "", ())
    if error:
        raise wrap(error)
    return value


def bad_save_body(detail: str) -> DaprError:
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
        return gojson.number(value)
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
MS_SET = {"Key": _STR, "Value": _ANY, "ETag": _STR, "Metadata": _MAP, "Options": _MS_OPTIONS,
           "ContentType": _STR}  # fmt: skip
MS_DELETE = {"Key": _STR, "ETag": _STR, "Metadata": _MAP, "Options": _MS_OPTIONS}


def ms_decode(value: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
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
