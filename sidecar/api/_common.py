"""Small helpers every route module shares: reading bodies the way daprd does, writing answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .. import gojson
from .._errors import DaprError, body_read, malformed

if TYPE_CHECKING:
    from .._sidecar import Sidecar

JSON = "application/json"


def sidecar_of(request: Request) -> Sidecar:
    """The Sidecar that serves this request (set on ``app.state.sidecar`` by the app factory)."""
    return request.app.state.sidecar  # type: ignore[no-any-return]


def dumps(value: Any) -> bytes:
    """An answer built as a Go struct: Go's encoding, fields in the order written."""
    return gojson.dumpb(value, sort_keys=False)


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


def parse_json(body: bytes, *, empty_as: Any = None) -> Any:
    """Decode a JSON body; an empty body gives ``empty_as``; anything undecodable is daprd's 400
    (also nesting deeper than Python's recursion limit; Go's decoders stop at 10000 levels)."""
    if not body.strip():
        return empty_as
    try:
        return gojson.loads_strict(body)
    except ValueError as exc:  # UnicodeDecodeError and GoJSONError are ValueErrors
        raise malformed(str(exc)[:200]) from exc


def metadata_from_query(request: Request) -> dict[str, str]:
    """daprd's ``metadata.<k>=<v>`` query convention (first value wins)."""
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("metadata.") and key[9:] not in out:
            out[key[9:]] = value
    return out
