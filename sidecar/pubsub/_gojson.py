"""JSON the way daprd's Go code reads and writes it.

Go's ``encoding/json`` sorts map keys, escapes ``<``, ``>``, ``&``, U+2028 and U+2029, and writes
float64 numbers in its own shortest form. Envelopes built with ``UseNumber`` keep each number's
original text. Reading with ``json.Decoder`` takes the first JSON value and ignores what follows.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class Number(str):
    """A JSON number kept as its source text (Go's ``json.Number``)."""


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


_PRECISE = json.JSONDecoder(parse_int=Number, parse_float=Number, parse_constant=_reject_constant)
_FLOATS = json.JSONDecoder(parse_int=float, parse_float=float, parse_constant=_reject_constant)


def _first_value(decoder: json.JSONDecoder, data: bytes) -> Any:
    text = data.decode("utf-8", "replace")
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text):
        raise ValueError("EOF")
    value, _ = decoder.raw_decode(text, start)
    return value


def loads_precise(data: bytes) -> Any:
    """Decode the first JSON value, numbers kept as text (``Decoder.UseNumber``)."""
    return _first_value(_PRECISE, data)


def loads_floats(data: bytes) -> Any:
    """Decode the first JSON value with every number as float64 (Go's default)."""
    return _first_value(_FLOATS, data)


def loads_strict(data: bytes) -> Any:
    """Decode a whole document (Go's ``json.Unmarshal``): trailing data is an error."""
    return json.loads(data, parse_constant=_reject_constant)


def _string(value: str) -> str:
    out = []
    for ch in value:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"json: unsupported value: {value}")
    magnitude = abs(value)
    if magnitude == 0 or 1e-6 <= magnitude < 1e21:
        return format(Decimal(repr(value)).normalize(), "f")
    mantissa, exp = repr(value).split("e")
    return f"{mantissa}e{exp[0]}{int(exp[1:])}"


def dumps(value: Any) -> str:
    """Encode like Go's ``json.Marshal`` of ``map[string]any`` values."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(_string(k) + ":" + dumps(v) for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumpb(value: Any) -> bytes:
    return dumps(value).encode()
