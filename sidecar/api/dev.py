"""Extension routes (not in Dapr), under ``/_sidecar/``: the dev clock, for tests.

``GET /_sidecar/v1/clock`` → ``{"now": "<RFC 3339>", "offsetSeconds": n}``
``POST /_sidecar/v1/clock/advance`` with ``{"seconds": n}`` or ``{"duration": "72h"}`` moves
virtual time forward and wakes the scheduler, so a job due in three days fires at once.
Mounted only when the sidecar runs with ``--dev-clock``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..clock import DevClock, utc
from ..dapr_errors import DaprError, bad_request
from ..timefmt import TimeFormatError, format_rfc3339, parse_go_duration
from ..web import json_response, parse_json, read_body
from ._context import services_of


def _clock(request: Request) -> DevClock:
    clock = services_of(request).clock
    if not isinstance(clock, DevClock):
        raise DaprError(
            404, "ERR_NOT_FOUND", "the dev clock is not enabled (start with --dev-clock)"
        )
    return clock


def _state(clock: DevClock) -> dict[str, Any]:
    return {"now": format_rfc3339(utc(clock.now())), "offsetSeconds": clock.offset}


async def get_clock(request: Request) -> Response:
    return json_response(_state(_clock(request)))


def _seconds(body: Any) -> float:
    if not isinstance(body, dict):
        raise bad_request('expected {"seconds": <number>} or {"duration": "<Go duration>"}')
    if "duration" in body:
        try:
            return parse_go_duration(str(body["duration"])).total_seconds()
        except TimeFormatError as exc:
            raise bad_request(f"invalid duration: {exc}") from exc
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise bad_request('expected {"seconds": <number>} or {"duration": "<Go duration>"}')
    return float(seconds)


async def advance_clock(request: Request) -> Response:
    clock = _clock(request)
    seconds = _seconds(parse_json(await read_body(request), empty_as={}))
    try:
        clock.advance(seconds)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    services_of(request).clock_moved()
    return json_response(_state(clock))


routes = [
    Route("/_sidecar/v1/clock", get_clock, methods=["GET"]),
    Route("/_sidecar/v1/clock/advance", advance_clock, methods=["POST"]),
]
