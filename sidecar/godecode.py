"""Go's ``json.NewDecoder(body).Decode`` into ``any`` as daprd's HTTP routes run it (state,
actor and pub/sub bodies): its syntax-error texts, its float64 number checks, and Go's
``json.Marshal`` of a value so decoded. Writing goes through :mod:`sidecar.gojson`, the runtime's
one codec; the state API's struct and ``mapstructure`` checks are ``api/_state_bodies.py``.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, NoReturn

from . import gojson
from .dapr_errors import malformed


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


def go_loads(body: bytes) -> Any:
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
        return go_loads(body)
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
