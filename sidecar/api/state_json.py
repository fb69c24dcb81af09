"""Go's JSON as daprd's state API decodes and encodes it (``encoding/json`` and ``mapstructure``).

Decoding reproduces the Go decoders' type checks and error texts; encoding writes what Go's
``json.Marshal`` writes (sorted keys, Go number format, ``<>&`` escaped).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from .. import gojson
from ..dapr_errors import DaprError, malformed

# ---------------------------------------------------------------- Go's JSON, both directions


class GoError(Exception):
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


_LITERALS = {"n": "null", "t": "true", "f": "false"}


def _go_literal(doc: str, pos: int) -> str:
    """Go's scanner commits to a literal at its first letter and fails at the first wrong one."""
    literal = _LITERALS[doc[pos]]
    for i, expected in enumerate(literal[1:], start=1):
        if pos + i >= len(doc):
            return "unexpected EOF"
        if doc[pos + i] != expected:
            found = _go_char(doc[pos + i])
            return (
                f"invalid character {found} in literal {literal} (expecting {_go_char(expected)})"
            )
    return f"invalid character {_go_char(doc[pos + len(literal)])} after top-level value"


def go_syntax(exc: json.JSONDecodeError) -> str:
    """The text Go's scanner gives for the syntax error Python's decoder found."""
    doc, pos = exc.doc, exc.pos
    if exc.msg.startswith("Unterminated") or pos >= len(doc.rstrip()):
        return "unexpected EOF"
    if exc.msg.startswith("Invalid \\escape"):
        return f"invalid character {_go_char(doc[pos + 1])} in string escape code"
    if exc.msg == "Expecting value" and doc[pos] in _LITERALS:
        return _go_literal(doc, pos)
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
    raise GoError(f"invalid character {_go_char(name.lstrip('-')[0])} {context}")


def _float64(text: str) -> float:
    """Go decodes JSON numbers as float64; beyond its range (1e400, 10**400) is an error."""
    if not math.isfinite(float(text)):
        raise GoError(f"json: cannot unmarshal number {text[:40]} into Go value of type float64")
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
        raise GoError("EOF")
    try:
        gojson.check_depth(text)
        return _DECODER.raw_decode(text, start)[0]
    except gojson.GoJSONError as exc:
        raise GoError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise GoError(go_syntax(exc)) from None
    except RecursionError:  # Go's decoder stops at 10000 levels; Python's recursion earlier
        raise GoError("exceeded max depth") from None


def loads_go(body: bytes, *, empty_as: Any = None) -> Any:
    """``json.NewDecoder(body).Decode`` into ``any``; its error is daprd's 400 malformed."""
    if not body.strip(b" \t\r\n"):
        return empty_as
    try:
        return _go_loads(body)
    except GoError as exc:
        raise malformed(str(exc)) from None


def go_marshal(value: Any) -> bytes:
    """Go's ``json.Marshal`` of a value decoded into ``any`` (numbers are float64)."""
    return gojson.dumpb(_as_float64(value))


def go_sprint(value: Any) -> bytes:
    """Go's ``fmt.Sprintf("%v", v)`` of a value decoded into ``any`` (maps with sorted keys)."""
    return _sprint(value).encode()


def _sprint(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_sprint(v) for v in value) + "]"
    return _go_float(float(value))


def _go_float(number: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)`` (``%v`` of a float64): shortest digits, an
    exponent from 1e6 up and below 1e-4."""
    if number != number or number in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(number)]
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent)  # digits before the decimal point
    exp = point - 1
    prefix = "-" if sign else ""
    if number == 0:
        return prefix + "0"
    if exp < -4 or exp >= 6:  # shortest form: precision 6 decides
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    if point >= len(text):
        return prefix + text + "0" * (point - len(text))
    return f"{prefix}{text[:point]}.{text[point:]}"


def _as_float64(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_float64(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_float64(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


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
        value = _go_loads(body)
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
