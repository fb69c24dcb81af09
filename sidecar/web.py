"""HTTP helpers every route module shares (``api``, ``actors``, ``pubsub``): reading bodies the way
daprd does, writing answers."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from . import gojson
from .app_channel import HOP_BY_HOP
from .dapr_errors import DaprError, body_read, malformed

JSON = "application/json"


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


def passthrough(upstream: httpx.Response) -> Response:
    """An answer from the app or another sidecar, relayed as it came (minus hop-by-hop headers)."""
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
    headers.pop("content-encoding", None)
    return Response(upstream.content, status_code=upstream.status_code, headers=headers)


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
