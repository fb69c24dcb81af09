"""Small helpers every route module shares: reading bodies the way daprd does, writing answers."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .._errors import DaprError, body_read, malformed

if TYPE_CHECKING:
    from .._sidecar import Sidecar

JSON = "application/json"


def sidecar_of(request: Request) -> Sidecar:
    """The Sidecar that serves this request (set on ``app.state.sidecar`` by the app factory)."""
    return request.app.state.sidecar  # type: ignore[no-any-return]


def dumps(value: Any) -> bytes:
    """Compact JSON, as Go's encoder writes it (no spaces, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status_code=status, media_type=JSON, headers=headers)


def raw_json_response(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def empty(status: int = 204) -> Response:
    return Response(status_code=status)


def error_response(err: DaprError) -> Response:
    return json_response(err.body(), err.status)


async def read_body(request: Request) -> bytes:
    """The whole body; the size limit is enforced by the app's middleware."""
    try:
        return await request.body()
    except Exception as exc:  # a client that hangs up mid-body
        raise body_read(str(exc)) from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[:1]!r} looking for beginning of value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} out of range")
    return value


def _finite_int(text: str) -> int:
    _finite_float(text)  # Go decodes JSON numbers as float64: 1e400 or 10**400 is an error
    return int(text)


# Go's decoders refuse NaN/Infinity tokens and numbers beyond float64, as daprd does (400).
_DECODER = json.JSONDecoder(
    parse_constant=_no_constant, parse_float=_finite_float, parse_int=_finite_int
)


def parse_json(body: bytes, *, empty_as: Any = None) -> Any:
    """Decode a JSON body; an empty body gives ``empty_as``; anything undecodable is daprd's 400
    (also nesting deeper than Python's recursion limit; Go's decoders stop at 10000 levels)."""
    if not body.strip():
        return empty_as
    try:
        return _DECODER.decode(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise malformed(str(exc)[:200]) from exc


def metadata_from_query(request: Request) -> dict[str, str]:
    """daprd's ``metadata.<k>=<v>`` query convention (first value wins)."""
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("metadata.") and key[9:] not in out:
            out[key[9:]] = value
    return out
