"""Converters at the boundary: Dapr's time strings in, Python ``datetime``/``timedelta`` out.

Dapr accepts four textual forms for ``dueTime``, ``ttl`` and ``period``: Go durations, ISO 8601
durations with optional repetitions, and protobuf JSON Durations (all in ``_durations``, re-exported
here), and RFC 3339 instants (here), combined by Dapr's rules (go-etcd-cron ``builder.go``, dapr/kit
``time/time.go``). Every parser raises only :class:`TimeFormatError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from ._durations import (
    IsoDuration,
    TimeFormatError,
    add_exact,
    format_go_duration,
    format_proto_duration,
    parse_go_duration,
    parse_iso_duration,
    parse_proto_duration,
    scan_iso,
)

__all__ = [
    "IsoDuration",
    "TimeFormatError",
    "format_go_duration",
    "format_proto_duration",
    "format_rfc3339",
    "parse_actor_due_time",
    "parse_go_duration",
    "parse_iso_duration",
    "parse_point_in_time",
    "parse_proto_duration",
    "parse_reminder_period",
    "parse_rfc3339",
    "parse_timer_period",
]

_T = TypeVar("_T")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})"
    r"(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})"
)

# --- RFC 3339 instants -----------------------------------------------------------------------


def parse_rfc3339(s: str) -> datetime:
    """Parse what Go's ``time.Parse(time.RFC3339, s)`` accepts; the offset is mandatory.

    Go's fallback parser also takes a one-digit hour, a comma before the fraction and offsets up to
    ``±24:60``; fractions beyond microseconds are truncated. The result keeps the given offset (UTC
    when Python cannot hold it, i.e. ``±24:00`` and up).
    """
    match = _RFC3339.fullmatch(s)
    if match is None:
        raise TimeFormatError(f'parsing time "{s}" as RFC 3339: bad format')
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micros = int(((match.group(7) or "") + "000000")[:6])
    offset = _offset(match.group(8), s)
    try:
        naive = datetime(year, month, day, hour, minute, second, micros)
        instant = naive.replace(tzinfo=UTC) - offset
    except (ValueError, OverflowError) as exc:
        raise TimeFormatError(f'parsing time "{s}": {exc}') from None
    return instant.astimezone(_fixed_zone(offset))


def _offset(text: str, s: str) -> timedelta:
    if text == "Z":
        return timedelta(0)
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 24 or minutes > 60:
        raise TimeFormatError(f'parsing time "{s}": time zone offset out of range')
    offset = timedelta(hours=hours, minutes=minutes)
    return -offset if text[0] == "-" else offset


def _fixed_zone(offset: timedelta) -> timezone:
    return timezone(offset) if abs(offset) < timedelta(hours=24) else UTC


def format_rfc3339(dt: datetime) -> str:
    """Go's ``RFC3339Nano`` in UTC: ``2026-09-01T07:00:00Z``, ``…:00.5Z``. Naive means UTC."""
    u = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    text = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    fraction = f"{u.microsecond:06d}".rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


# --- Dapr's combined rules -------------------------------------------------------------------


def parse_point_in_time(s: str, base: datetime, *, field: str = "due time") -> datetime:
    """The Jobs API ``dueTime``/``ttl`` rule (go-etcd-cron ``parsePointInTime``).

    Tries RFC 3339, then a Go duration, then an ISO 8601 duration, the last two relative to
    ``base``. An ISO value with ``Rn`` (n > 0) gives ``repeats not supported for due time``; for any
    other ``field`` (``ttl``) Dapr reports every failure as ``<field> format not recognized``.
    """
    unknown = TimeFormatError(f"{field} format not recognized")
    for parse in (parse_rfc3339, lambda v: add_exact(base, parse_go_duration(v))):
        found = _attempt(parse, s)
        if found is not None:
            return found
    duration, repeats = _guard(lambda: scan_iso(s), unknown)
    if repeats > 0 and field == "due time":
        raise TimeFormatError("repeats not supported for due time")
    if repeats > 0:
        raise unknown
    return _guard(lambda: duration.add_to(base), unknown)


def parse_actor_due_time(s: str, base: datetime) -> datetime:
    """An actor reminder/timer ``dueTime`` (dapr/kit ``ParseTime``): empty means ``base``; else an
    ISO duration without repetition, a Go duration, or an RFC 3339 instant."""
    if s == "":
        return base
    iso = _attempt(scan_iso, s)
    if iso is not None:
        if iso[1] != -1:
            raise TimeFormatError("repetitions are not allowed")
        return _guard(lambda: iso[0].add_to(base), _unsupported_time(s))
    found = _attempt(lambda v: add_exact(base, parse_go_duration(v)), s)
    return found if found is not None else _guard(lambda: parse_rfc3339(s), _unsupported_time(s))


def _unsupported_time(s: str) -> TimeFormatError:
    return TimeFormatError(f"unsupported time/duration format: {s}")


def parse_reminder_period(s: str) -> tuple[timedelta, int | None]:
    """A reminder ``period`` as Dapr turns it into ``@every <d>`` plus a repeat count.

    ISO (tried first, like kit) or Go duration; positive Y/M/W/D are rejected with
    ``unsupported period format: <s>``. As in Dapr, only the clock part is kept (``P0D`` passes).
    """
    unsupported = TimeFormatError(f"unsupported period format: {s}")
    iso = _attempt(parse_iso_duration, s, keep={"has zero repetitions"})
    if iso is None:
        return _guard(lambda: parse_go_duration(s), unsupported), None
    duration, repeats = iso
    if max(duration.years, duration.months, duration.days) > 0:
        raise unsupported
    return duration.clock, repeats


def parse_timer_period(s: str) -> tuple[IsoDuration | timedelta, int | None]:
    """A timer ``period`` (dapr/kit ``ParseDuration``): calendar parts are allowed.

    Returns an :class:`IsoDuration` when a Y/M/W/D part is present, else a ``timedelta``.
    """
    iso = _attempt(parse_iso_duration, s, keep={"has zero repetitions"})
    if iso is None:
        unsupported = TimeFormatError(f"unsupported duration format: {s}")
        return _guard(lambda: parse_go_duration(s), unsupported), None
    duration, repeats = iso
    return (duration if duration.has_calendar_part else duration.clock), repeats


def _attempt(
    parse: Callable[[str], _T], s: str, *, keep: frozenset[str] | set[str] = frozenset()
) -> _T | None:
    """Run one parser; ``None`` on failure unless its message is one to pass on."""
    try:
        return parse(s)
    except TimeFormatError as exc:
        if str(exc) in keep:
            raise
        return None
    except (OverflowError, ValueError):
        return None


def _guard(thunk: Callable[[], _T], error: TimeFormatError) -> _T:
    try:
        return thunk()
    except (OverflowError, ValueError):
        raise error from None
