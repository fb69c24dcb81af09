"""The runtime's one JSON codec: JSON the way daprd's Go code writes and reads it.

Writing follows Go's ``json.Marshal``: ``<``, ``>``, ``&``, U+2028 and U+2029 are escaped, a lone
surrogate (invalid UTF-8 in Go) becomes U+FFFD, non-ASCII text is kept, float64 numbers use Go's
shortest form, and map keys are sorted. A ``dict`` stands for a Go map unless the caller says it
is a struct (``sort_keys=False``), whose fields keep the order the code wrote them in.

Reading: ``json.Decoder`` takes the first value and ignores what follows (``loads_precise``,
``loads_floats``); ``json.Unmarshal`` wants one whole document (``loads_strict``). Numbers are
float64 in Go: NaN/Infinity tokens and numbers beyond float64 are errors. Go allows 10000
levels of nesting; every recursive step after decoding (encoding, type checks) runs on Python's
stack, so documents nested deeper than ``MAX_DEPTH`` are refused here, before anything else.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any


class Number(str):
    """A JSON number kept as its source text (Go's ``json.Number``)."""


class GoJSONError(ValueError):
    """A JSON document Go's decoder refuses; the message is Go's text where it matters."""


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SPECIAL = re.compile('["\\\\\x00-\x1f<>&\u2028\u2029\ud800-\udfff]')


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if "\ud800" <= ch <= "\udfff":
        return "\ufffd"
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04x}"


def string(value: str) -> str:
    """A Go-encoded JSON string literal."""
    return '"' + _SPECIAL.sub(_escape, value) + '"'


def number(value: float) -> str:
    """``encoding/json``'s float64 format (shortest repr; exponent outside [1e-6, 1e21))."""
    if not math.isfinite(value):
        raise GoJSONError(f"json: unsupported value: {value}")
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    if 1e-6 <= abs(value) < 1e21:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return re.sub(r"e([-+])0(\d)$", r"e\g<1>\2", repr(value))


def dumps(value: Any, *, sort_keys: bool = True) -> str:
    """Encode like Go's ``json.Marshal`` (see the module docstring for ``sort_keys``)."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, str):
        return string(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, dict):
        items = sorted(value.items()) if sort_keys else list(value.items())
        body = ",".join(string(str(k)) + ":" + dumps(v, sort_keys=sort_keys) for k, v in items)
        return "{" + body + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v, sort_keys=sort_keys) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumpb(value: Any, *, sort_keys: bool = True) -> bytes:
    return dumps(value, sort_keys=sort_keys).encode()


def _reject_constant(name: str) -> Any:
    raise GoJSONError(f"invalid character '{name[0]}' looking for beginning of value")


def _float64(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise GoJSONError(
            f"json: cannot unmarshal number {text[:40]} into Go value of type float64"
        )
    return value


def _int64(text: str) -> int:
    _float64(text)  # Go decodes JSON numbers as float64: 1e400 or 10**400 is an error
    return int(text)


MAX_DEPTH = 256  # a documented bound (README, deviations); daprd's Go decoder allows 10000
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def check_depth(text: str) -> None:
    """Raise GoJSONError when brackets outside strings nest deeper than ``MAX_DEPTH``."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise GoJSONError(f"exceeded max depth: JSON nested deeper than {MAX_DEPTH} levels")


_PRECISE = json.JSONDecoder(parse_int=Number, parse_float=Number, parse_constant=_reject_constant)
_FLOATS = json.JSONDecoder(parse_int=float, parse_float=float, parse_constant=_reject_constant)
_NUMBERS = json.JSONDecoder(parse_int=_int64, parse_float=_float64, parse_constant=_reject_constant)


def _first_value(decoder: json.JSONDecoder, data: bytes) -> Any:
    text = data.decode("utf-8", "replace")
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text):
        raise GoJSONError("EOF")
    check_depth(text)
    try:
        return decoder.raw_decode(text, start)[0]
    except RecursionError:  # Go's decoder stops at 10000 levels; Python's recursion earlier
        raise GoJSONError("exceeded max depth") from None


def loads_precise(data: bytes) -> Any:
    """Decode the first JSON value, numbers kept as text (``Decoder.UseNumber``)."""
    return _first_value(_PRECISE, data)


def loads_floats(data: bytes) -> Any:
    """Decode the first JSON value with every number as float64 (Go's default)."""
    return _first_value(_FLOATS, data)


def loads_first(data: bytes) -> Any:
    """Decode the first JSON value; integers stay ``int``, range-checked as float64."""
    return _first_value(_NUMBERS, data)


def loads_strict(data: bytes | str) -> Any:
    """Decode a whole document (Go's ``json.Unmarshal``): trailing data is an error."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    check_depth(text)
    try:
        return _NUMBERS.decode(text)
    except RecursionError:
        raise GoJSONError("exceeded max depth") from None


_QUOTE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_QUOTE_ESCAPES |= {"\v": "\\v", '"': '\\"', "\\": "\\\\"}


def _quote_char(c: str) -> str:
    if c in _QUOTE_ESCAPES:
        return _QUOTE_ESCAPES[c]
    if ord(c) < 0x20 or ord(c) == 0x7F:
        return f"\\x{ord(c):02x}"
    if ord(c) < 0x80 or c.isprintable():
        return c
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote`` (``%q``): printable text kept, the rest escaped Go's way."""
    return '"' + "".join(_quote_char(c) for c in text) + '"'
