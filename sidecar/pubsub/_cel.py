"""A small subset of CEL for subscription routing rules (``routes.rules[].match``).

Supported: the variable ``event``; field selection (``event.data.kind``) and string indexing
(``event["type"]``); string, int, float, bool and ``null`` literals; ``==``, ``!=``, ``<``, ``<=``,
``>``, ``>=``; ``!``, ``&&``, ``||`` and parentheses. ``&&``/``||`` absorb errors as CEL does
(``false && <error>`` is ``false``). A missing key is an evaluation error (``no such key``).

Not supported (rejected when the rule is parsed): functions and macros (``has``, ``size``,
``startsWith``, ``matches``, ``exists``...), ``in``, arithmetic, the ternary operator, list and
map literals, bytes/uint literals and escape sequences other than ``\\"``, ``\\'`` and ``\\\\``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:(?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
    |(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<op>==|!=|<=|>=|&&|\|\||[<>!().\[\]])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*))""",
    re.VERBOSE,
)
_COMPARE = ("==", "!=", "<", "<=", ">", ">=")
_KEYWORDS = {"true": True, "false": False, "null": None}

Node = Callable[[dict[str, Any]], Any]


class CelSyntaxError(ValueError):
    """The expression is not CEL, or uses CEL this sidecar does not evaluate."""


class CelEvalError(ValueError):
    """Evaluation failed (missing key, incomparable operands, non-boolean result)."""


@dataclass(frozen=True)
class Expression:
    source: str
    node: Node

    def matches(self, event: Any) -> bool:
        result = self.node({"event": event})
        if not isinstance(result, bool):
            raise CelEvalError(f"the result of match expression {self.source} was not a boolean")
        return result


def compile_match(source: str) -> Expression:
    """Parse ``source``; raises CelSyntaxError for anything outside the supported subset."""
    parser = _Parser(_tokens(source))
    node = parser.disjunction()
    if parser.peek() is not None:
        raise CelSyntaxError(f"unexpected token {parser.peek()!r} in {source!r}")
    return Expression(source, node)


def _tokens(source: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, source.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise CelSyntaxError(f"unsupported syntax at {text[pos:]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise CelSyntaxError("unexpected end of expression")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, op: str) -> None:
        if self.take()[1] != op:
            raise CelSyntaxError(f"expected {op!r}")

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.peek() == "||":
            self.take()
            node = _logical(node, self.conjunction(), absorbing=True)
        return node

    def conjunction(self) -> Node:
        node = self.comparison()
        while self.peek() == "&&":
            self.take()
            node = _logical(node, self.comparison(), absorbing=False)
        return node

    def comparison(self) -> Node:
        node = self.unary()
        if self.peek() in _COMPARE:
            op = self.take()[1]
            node = _compare(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "!":
            self.take()
            return _negate(self.unary())
        return self.selection(self.primary())

    def selection(self, node: Node) -> Node:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if kind != "name" or self.peek() == "(":
                    raise CelSyntaxError("function calls are not supported")
                node = _select(node, name)
            else:
                kind, key = self.take()
                if kind != "str":
                    raise CelSyntaxError("only string indexes are supported")
                self.expect("]")
                node = _select(node, _unquote(key))
        return node

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            value: Any = _number(text)
            return lambda _: value
        if kind == "str":
            string = _unquote(text)
            return lambda _: string
        if text == "(":
            node = self.disjunction()
            self.expect(")")
            return node
        if kind == "name":
            return self.name(text)
        raise CelSyntaxError(f"unexpected token {text!r}")

    def name(self, text: str) -> Node:
        if text in _KEYWORDS:
            constant = _KEYWORDS[text]
            return lambda _: constant
        if self.peek() == "(":
            raise CelSyntaxError(f"function {text}() is not supported")
        if text != "event":
            raise CelSyntaxError(f"undeclared reference to '{text}'")
        return lambda scope: scope["event"]


def _select(node: Node, key: str) -> Node:
    def run(scope: dict[str, Any]) -> Any:
        value = node(scope)
        if not isinstance(value, dict):
            raise CelEvalError(f"no such key: {key}")
        if key not in value:
            raise CelEvalError(f"no such key: {key}")
        return value[key]

    return run


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _compare(op: str, left: Node, right: Node) -> Node:
    def run(scope: dict[str, Any]) -> bool:
        a, b = _plain(left(scope)), _plain(right(scope))
        if op in ("==", "!="):
            same = _kind(a) == _kind(b) and a == b
            return same if op == "==" else not same
        if _kind(a) != _kind(b) or _kind(a) not in ("number", "str"):
            raise CelEvalError(f"no such overload: {_kind(a)} {op} {_kind(b)}")
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])

    return run


def _plain(value: Any) -> Any:
    """Numbers from JSON bodies arrive as float64 in daprd, whatever their text."""
    if isinstance(value, str) and type(value) is not str:
        return float(value)
    return value


def _negate(node: Node) -> Node:
    def run(scope: dict[str, Any]) -> bool:
        value = node(scope)
        if not isinstance(value, bool):
            raise CelEvalError("no such overload: !" + _kind(value))
        return not value

    return run


def _logical(left: Node, right: Node, *, absorbing: bool) -> Node:
    """``||`` (absorbing=True) or ``&&``; an error only matters if the other side cannot decide."""

    def side(node: Node, scope: dict[str, Any]) -> bool | Exception:
        try:
            value = node(scope)
        except CelEvalError as exc:
            return exc
        return value if isinstance(value, bool) else CelEvalError("no matching overload")

    def run(scope: dict[str, Any]) -> bool:
        a, b = side(left, scope), side(right, scope)
        if a is absorbing or b is absorbing:
            return absorbing
        for value in (a, b):
            if isinstance(value, Exception):
                raise value
        return not absorbing

    return run
