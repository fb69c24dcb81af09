"""Parsing and formatting at the boundary: RFC 3339 instants, durations, IANA zones.

Instants must carry an offset (``Z`` or ``±hh:mm``) and are kept as aware UTC datetimes.
Durations accept ISO 8601 (``PT15M``, ``P1DT2H``, ``P1W``; no years or months, whose length
varies) or Go form (``15m``, ``1h30m``, ``90s``, ``1.5h``); they are rendered back as ISO 8601.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._errors import InvalidDurationError, InvalidTimeError

MAX_DURATION = timedelta(days=366)
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_ISO = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
}


def parse_instant(field: str, value: str) -> datetime:
    """An RFC 3339 time with offset, as an aware UTC datetime."""
    match = _RFC3339.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidTimeError(field, f"{value!r} is not an RFC 3339 time with offset")
    date, clock, fraction, offset = match.groups()
    fraction = (fraction or "")[:7]
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        parsed = datetime.fromisoformat(f"{date}T{clock}{fraction}{offset}")
    except ValueError as exc:
        raise InvalidTimeError(field, f"{value!r}: {exc}") from exc
    return parsed.astimezone(UTC)


def format_instant(moment: datetime, zone: str = "UTC") -> str:
    """RFC 3339; ``Z`` for UTC, the zone's offset otherwise."""
    local = moment.astimezone(ZoneInfo(zone))
    text = local.isoformat(timespec="microseconds" if local.microsecond else "seconds")
    return text[:-6] + "Z" if zone == "UTC" and text.endswith("+00:00") else text


def from_timestamp(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def validate_zone(field: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimeError(field, f"{value!r} is not an IANA time zone") from exc
    return value


def parse_duration(field: str, value: str) -> timedelta:
    """ISO 8601 or Go duration, non-negative and at most :data:`MAX_DURATION`."""
    text = value.strip() if isinstance(value, str) else ""
    if text.startswith("-"):
        raise InvalidDurationError(field, f"{value!r} must not be negative")
    duration = _parse_iso(field, text) if text[:1] in ("P", "p") else _parse_go(text)
    if duration is None:
        raise InvalidDurationError(field, f"{value!r} is neither ISO 8601 (PT15M) nor Go (15m)")
    if duration > MAX_DURATION:
        raise InvalidDurationError(field, f"{value!r} is longer than {MAX_DURATION.days} days")
    return duration


def format_duration(duration: timedelta) -> str:
    """ISO 8601, e.g. ``PT15M``, ``P1DT2H``, ``PT0.5S``, ``PT0S``."""
    days, rest = duration.days, duration - timedelta(days=duration.days)
    hours, rem = divmod(rest.total_seconds(), 3600)
    minutes, seconds = divmod(rem, 60)
    clock = "".join(
        f"{_num(n)}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n
    )
    text = "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return text if text != "P" else "PT0S"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.6f}".rstrip("0")


def _parse_iso(field: str, text: str) -> timedelta | None:
    upper = text.upper()
    if re.match(r"P(\d+Y|\d+M)", upper):
        raise InvalidDurationError(field, f"{text!r}: years and months are not supported")
    match = _ISO.fullmatch(upper)
    if match is None or upper in ("P", "PT") or upper.endswith("T"):
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )


def _parse_go(text: str) -> timedelta | None:
    if text == "0":
        return timedelta(0)
    pos, seconds = 0, 0.0
    for match in _GO_PART.finditer(text):
        if match.start() != pos:
            return None
        seconds += _GO_SECONDS[match.group(2)] * float(match.group(1))
        pos = match.end()
    return timedelta(seconds=seconds) if pos == len(text) and pos > 0 else None
