"""Durations in Dapr's three textual forms: Go (``1h30m``), ISO 8601 (``R5/PT10S``), protobuf JSON
(``"3s"``, failure-policy intervals).

Each parser mirrors the Go code Dapr runs (Go ``time``, dapr/kit ``time/time.go``, protojson) and
raises only :class:`TimeFormatError`. Durations have microsecond resolution; nanoseconds are
truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_NS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6, "s": 10**9}
_NS |= {"m": 60 * 10**9, "h": 3600 * 10**9}
_GO_MAX = 1 << 63  # Go's Duration is an int64 count of nanoseconds
_GO_PART = re.compile(r"([0-9]*)(\.([0-9]*))?([^0-9.]*)")
_ATOI = re.compile(r"[+-]?[0-9]+")
_PROTO = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]{0,9}))?s")
_PROTO_MAX_SECONDS = 315_576_000_000
_ISO_TIME_UNITS = {"H": "hours", "M": "minutes", "S": "seconds"}
_DESIGNATED = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


class TimeFormatError(ValueError):
    """A time string that Dapr would reject; the message is the text Dapr gives."""


# --- Go durations (time.ParseDuration / Duration.String) -------------------------------------


def parse_go_duration(s: str) -> timedelta:
    """Parse like Go's ``time.ParseDuration``; nanoseconds are truncated toward zero."""
    body = s[1:] if s[:1] in ("+", "-") else s
    if body == "0":
        return timedelta(0)
    if body == "":
        raise TimeFormatError(f"time: invalid duration {_quote(s)}")
    total, pos = 0, 0
    while pos < len(body):
        match = _GO_PART.match(body, pos)
        assert match is not None  # every group is optional
        total = _go_add(total, _go_part(match, s), s)
        pos = match.end()
    if s[:1] != "-" and total == _GO_MAX:
        raise TimeFormatError(f"time: invalid duration {_quote(s)}")
    micros = total // 1000
    return timedelta(microseconds=-micros if s[:1] == "-" else micros)


def _go_part(match: re.Match[str], orig: str) -> int:
    whole, dot, frac, unit_name = match.group(1), match.group(2), match.group(3), match.group(4)
    if not whole and not frac:
        raise TimeFormatError(f"time: invalid duration {_quote(orig)}")
    if not unit_name:
        raise TimeFormatError(f"time: missing unit in duration {_quote(orig)}")
    unit = _NS.get(unit_name)
    if unit is None:
        raise TimeFormatError(f"time: unknown unit {_quote(unit_name)} in duration {_quote(orig)}")
    if len(whole) > 20 or (int(whole) if whole else 0) > _GO_MAX // unit:
        raise TimeFormatError(f"time: invalid duration {_quote(orig)}")
    value = int(whole) * unit if whole else 0
    if dot and frac:
        value += _go_fraction(frac, unit)
    return _go_add(0, value, orig)


def _go_fraction(digits: str, unit: int) -> int:
    """Go's leadingFraction plus its float64 scaling, so rounding matches bit for bit."""
    value, scale = 0, 1.0
    for char in digits:
        if value > (_GO_MAX - 1) // 10:
            break
        value, scale = value * 10 + ord(char) - 48, scale * 10
    return int(float(value) * (float(unit) / scale))


def _go_add(total: int, value: int, orig: str) -> int:
    if total + value > _GO_MAX:
        raise TimeFormatError(f"time: invalid duration {_quote(orig)}")
    return total + value


def format_go_duration(d: timedelta) -> str:
    """Render like Go's ``Duration.String()``: ``1h30m0s``, ``500ms``, ``1.5s``, ``0s``."""
    nanos = (d // timedelta(microseconds=1)) * 1000
    return ("-" if nanos < 0 else "") + _format_unsigned(abs(nanos))


def _format_unsigned(nanos: int) -> str:
    if nanos < 10**9:
        if nanos == 0:
            return "0s"
        if nanos < 10**3:
            return f"{nanos}ns"
        return _decimal(nanos, 3) + "\u00b5s" if nanos < 10**6 else _decimal(nanos, 6) + "ms"
    hours, rest = divmod(nanos, 3600 * 10**9)
    minutes, sec_nanos = divmod(rest, 60 * 10**9)
    seconds = _decimal(sec_nanos, 9) + "s"
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    return f"{minutes}m{seconds}" if minutes else seconds


def _decimal(value: int, places: int) -> str:
    whole, frac = divmod(value, 10**places)
    digits = f"{frac:0{places}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- ISO 8601 durations (dapr/kit time.ParseISO8601Duration) ---------------------------------


@dataclass(frozen=True)
class IsoDuration:
    """An ISO 8601 duration as dapr/kit's parser returns it: years, months and days (a week is
    seven days) applied like Go's ``AddDate`` (month-end overflow normalises forward), then the
    clock part (H, M, S) added as an exact duration."""

    years: int = 0
    months: int = 0
    days: int = 0
    clock: timedelta = timedelta(0)

    @property
    def has_calendar_part(self) -> bool:
        return any((self.years, self.months, self.days))

    def add_to(self, dt: datetime) -> datetime:
        """``dt.AddDate(Y, M, D).Add(clock)``; raises OverflowError/ValueError past year 9999."""
        return add_exact(_add_date(dt, self.years, self.months, self.days), self.clock)


def _add_date(dt: datetime, years: int, months: int, days: int) -> datetime:
    year, month0 = divmod(dt.year * 12 + dt.month - 1 + years * 12 + months, 12)
    day = date(year, month0 + 1, 1) + timedelta(days=dt.day - 1 + days)
    return datetime.combine(day, dt.timetz().replace(fold=0))


def add_exact(dt: datetime, delta: timedelta) -> datetime:
    """Elapsed-time addition (Go's ``Time.Add``), also across DST changes of a zone."""
    if dt.tzinfo is None:
        return dt + delta
    return (dt.astimezone(UTC) + delta).astimezone(dt.tzinfo)


def parse_iso_duration(s: str) -> tuple[IsoDuration, int | None]:
    """Parse ``[Rn/]PnYnMnWnDTnHnMnS`` as dapr/kit does; returns ``(duration, repetitions)``.

    Like kit: integers only (a sign is allowed, ``PT-5S``), designators in any order, ``R5`` with
    no ``/P…`` is five zero-length repetitions, and stray characters are skipped. ``R0`` is an
    error (``has zero repetitions``); a negative ``Rn`` means unbounded and gives ``None``.
    """
    duration, repeats = scan_iso(s)
    if repeats == 0:
        raise TimeFormatError("has zero repetitions")
    return duration, repeats if repeats > 0 else None


def scan_iso(s: str) -> tuple[IsoDuration, int]:
    """kit's scanner; repetitions are -1 when absent (kit's "infinite")."""
    bad = TimeFormatError(f"unsupported ISO8601 duration format: {s}")
    if len(s) < 2:
        raise bad
    repeats, pos = -1, 0
    if s[0] == "R":
        slash = s.find("/")
        slash = len(s) if slash < 0 else slash
        repeats = _atoi(s[1:slash], bad)
        pos = slash + 1
        if pos >= len(s):
            return IsoDuration(), repeats
    if s[pos] != "P":
        raise bad
    return _scan_designators(s, pos + 1, bad), repeats


def _scan_designators(s: str, pos: int, bad: TimeFormatError) -> IsoDuration:
    fields: dict[str, int] = dict.fromkeys(_DESIGNATED, 0)
    start, in_time = pos, False
    for i in range(pos, len(s)):
        char = s[i]
        if char == "T":
            if start != i:
                raise bad
            start, in_time = i + 1, True
        elif char in "YWDHMS":
            _designate(fields, char, in_time, _atoi(s[start:i], bad), bad)
            start = i + 1
    clock_seconds = fields["hours"] * 3600 + fields["minutes"] * 60 + fields["seconds"]
    if abs(clock_seconds) * 10**9 >= _GO_MAX:
        raise bad
    days = 7 * fields["weeks"] + fields["days"]
    return IsoDuration(fields["years"], fields["months"], days, timedelta(seconds=clock_seconds))


def _designate(
    fields: dict[str, int], char: str, in_time: bool, value: int, bad: Exception
) -> None:
    if char == "M":
        key = "minutes" if in_time else "months"
    elif (char in _ISO_TIME_UNITS) != in_time:
        raise bad
    else:
        key = _ISO_TIME_UNITS.get(char) or {"Y": "years", "W": "weeks", "D": "days"}[char]
    # kit assigns years and months (last one wins) and sums everything else
    fields[key] = value if key in ("years", "months") else fields[key] + value


def _atoi(text: str, bad: TimeFormatError) -> int:
    """Go's ``strconv.Atoi``: optional sign, ASCII digits, int64 range."""
    if len(text) > 20 or not _ATOI.fullmatch(text) or not -_GO_MAX <= int(text) < _GO_MAX:
        raise bad
    return int(text)


# --- Protobuf JSON Duration (protojson) ------------------------------------------------------


def parse_proto_duration(s: str) -> timedelta:
    """Parse a protobuf JSON Duration: ``"3s"``, ``"0.5s"``, ``"-1.5s"``; ``"1m"`` is invalid."""
    match = _PROTO.fullmatch(s)
    if match is None:
        raise TimeFormatError(f"invalid google.protobuf.Duration value {_quote(s)}")
    seconds = int(match.group(2)[:13])
    if len(match.group(2)) > 12 or seconds > _PROTO_MAX_SECONDS:
        raise TimeFormatError(f"google.protobuf.Duration value out of range: {_quote(s)}")
    micros = seconds * 10**6 + int(((match.group(3) or "") + "000000")[:6])
    return timedelta(microseconds=-micros if match.group(1) else micros)


def format_proto_duration(d: timedelta) -> str:
    """Render as protojson does: ``"3s"``, ``"0.500s"``, ``"-1.000001s"`` (0/3/6/9 digits)."""
    micros = d // timedelta(microseconds=1)
    seconds, frac = divmod(abs(micros), 10**6)
    if seconds > _PROTO_MAX_SECONDS:
        raise TimeFormatError(f"google.protobuf.Duration value out of range: {d}")
    digits = f"{frac:06d}000"
    while digits.endswith("000"):
        digits = digits[:-3]
    sign = "-" if micros < 0 else ""
    return f"{sign}{seconds}.{digits}s" if digits else f"{sign}{seconds}s"
