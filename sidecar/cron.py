"""Job ``schedule`` strings: parsing and "when does it fire next", as dapr/kit's cron parser.

Grammar (kit ``cron/parser.go`` with Second|Minute|Hour|Dom|Month|Dow|Descriptor): exactly six
fields ``sec min hour dom month dow`` or a descriptor (``@daily``, ``@every 1h30m``, …), optionally
prefixed by ``CRON_TZ=<zone> `` or ``TZ=<zone> `` (Dapr 1.18.3 rules). Without a prefix the schedule
is evaluated in UTC, as the Scheduler does. Matching follows kit's ``SpecSchedule.Next``: second
granularity, wall-clock fields in the zone, elapsed-time steps between units (so across a DST
fall-back a repeated wall time fires twice, and a wall time skipped by spring-forward never fires).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from .timefmt import TimeFormatError, parse_go_duration

NEVER = datetime.max.replace(tzinfo=UTC)
"""What :meth:`Schedule.next` returns when a cron spec has no match within five years (kit gives
Go's zero time there, which go-etcd-cron would treat as "due now" forever)."""

_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)  # Go's unicode.IsSpace, which strings.Fields and strings.TrimSpace use
_FIELDS = re.compile(f"[{re.escape(_GO_SPACE)}]+")
_ATOI = re.compile(r"[+-]?[0-9]+")
_STAR = 1 << 63
_SECOND = timedelta(seconds=1)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ValueError):
    """An unparsable schedule; the message is dapr/kit's, for ``job failed validation: <msg>``."""


class Schedule(Protocol):
    """A parsed job schedule."""

    def next(self, after: datetime) -> datetime:
        """The first tick strictly after ``after`` (aware; naive is read as UTC), in UTC.

        Exception: ``@every D`` with ``D <= 0`` returns ``after + D``, which is not later; Dapr
        accepts ``@every 0s`` and fires it back to back, so callers must guard against that.
        A cron spec without a match in the next five years returns :data:`NEVER`.
        """
        ...


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] means low + i


_SEC, _MIN, _HOUR = _Bounds(0, 59), _Bounds(0, 59), _Bounds(0, 23)
_DOM, _MONTH, _DOW = _Bounds(1, 31), _Bounds(1, 12, _MONTHS), _Bounds(0, 6, _DAYS)
_ORDER = (_SEC, _MIN, _HOUR, _DOM, _MONTH, _DOW)


@dataclass(frozen=True)
class EverySchedule:
    """``@every <Go duration>``: the caller passes the previous *scheduled* tick."""

    delay: timedelta

    def next(self, after: datetime) -> datetime:
        try:
            return _utc(after) + self.delay
        except OverflowError:
            return NEVER


@dataclass(frozen=True)
class CronSchedule:
    """Six bit sets (bit n = value n; bit 63 = the field was ``*``/``?``) and a zone."""

    second: int
    minute: int
    hour: int
    dom: int
    month: int
    dow: int
    zone: tzinfo = UTC

    def next(self, after: datetime) -> datetime:
        t = _utc(after).replace(microsecond=0) + _SECOND
        try:
            limit = self._wall(t).year + 5
            while (wall := self._wall(t)).year <= limit:
                jump = self._jump(wall, t)
                if jump is None:
                    return t
                t = max(jump, t + _SECOND)
        except (OverflowError, ValueError):
            pass  # ran past year 9999
        return NEVER

    def matches(self, when: datetime) -> bool:
        """Whether ``when`` (to the second) is a tick: all fields match in the zone."""
        wall = self._wall(_utc(when))
        return wall.microsecond == 0 and self._jump(wall, _utc(when)) is None

    def _jump(self, wall: datetime, t: datetime) -> datetime | None:
        """``None`` if ``wall`` matches, else the next instant worth checking."""
        if not _has(self.month, wall.month):
            return self._month_after(wall)
        if not self._day_ok(wall.day, _weekday(wall)):
            return self._day_after(wall)
        if not _has(self.hour, wall.hour):
            return self._hour_after(wall)
        if not _has(self.minute, wall.minute):
            step = _next_bit(self.minute, wall.minute, 59)
            return t + timedelta(minutes=(step or 60) - wall.minute, seconds=-wall.second)
        if not _has(self.second, wall.second):
            step = _next_bit(self.second, wall.second, 59)
            return t + timedelta(seconds=(step or 60) - wall.second)
        return None

    def _month_after(self, wall: datetime) -> datetime:
        month = _next_bit(self.month, wall.month, 12)
        if month is None:
            return self._at(wall.year + 1, 1, 1)
        return self._at(wall.year, month, 1)

    def _day_after(self, wall: datetime) -> datetime:
        last = calendar.monthrange(wall.year, wall.month)[1]
        weekday = _weekday(wall)
        for day in range(wall.day + 1, last + 1):
            if self._day_ok(day, (weekday + day - wall.day) % 7):
                return self._at(wall.year, wall.month, day)
        return self._at(wall.year + wall.month // 12, wall.month % 12 + 1, 1)

    def _hour_after(self, wall: datetime) -> datetime:
        hour = _next_bit(self.hour, wall.hour, 23)
        if hour is not None:
            return self._at(wall.year, wall.month, wall.day, hour)
        return self._next_midnight(wall)

    def _next_midnight(self, wall: datetime) -> datetime:
        day = wall.date() + timedelta(days=1)
        return self._at(day.year, day.month, day.day)

    def _day_ok(self, day: int, weekday: int) -> bool:
        dom_ok, dow_ok = _has(self.dom, day), _has(self.dow, weekday)
        if self.dom & _STAR or self.dow & _STAR:
            return dom_ok and dow_ok
        return dom_ok or dow_ok

    def _at(self, year: int, month: int, day: int, hour: int = 0) -> datetime:
        """The instant of a wall time; a time inside a DST gap resolves to after the gap."""
        return datetime(year, month, day, hour, tzinfo=self.zone).astimezone(UTC)

    def _wall(self, t: datetime) -> datetime:
        return t if self.zone is UTC else t.astimezone(self.zone)


def _has(bits: int, value: int) -> bool:
    return bool(bits >> value & 1)


def _next_bit(bits: int, value: int, high: int) -> int | None:
    """The smallest set bit above ``value`` and at most ``high``."""
    return next((v for v in range(value + 1, high + 1) if bits >> v & 1), None)


def _weekday(wall: datetime) -> int:
    return (wall.weekday() + 1) % 7  # Go: Sunday = 0


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# --- parsing ---------------------------------------------------------------------------------


def parse_schedule(spec: str) -> CronSchedule | EverySchedule:
    """Parse a job ``schedule`` the way Dapr's Scheduler does; raises :class:`ScheduleError`."""
    if spec == "":
        raise ScheduleError("empty spec string")
    zone, body = _split_zone(spec)
    if body.startswith("@"):
        return _descriptor(body, zone)
    fields = [f for f in _FIELDS.split(body) if f]
    if len(fields) != 6:
        raise ScheduleError(f"expected exactly 6 fields, found {len(fields)}: [{' '.join(fields)}]")
    return _build(fields, zone)


def _build(fields: list[str], zone: tzinfo) -> CronSchedule:
    sec, minute, hour, dom, month, dow = (_field(f, b) for f, b in zip(fields, _ORDER, strict=True))
    return CronSchedule(sec, minute, hour, dom, month, dow, zone)


def _split_zone(spec: str) -> tuple[tzinfo, str]:
    if not spec.startswith(("TZ=", "CRON_TZ=")):
        return UTC, spec
    space = spec.find(" ")
    if space < 0 or not (body := spec[space:].strip(_GO_SPACE)):
        raise ScheduleError(f"timezone prefix {spec} is not followed by a schedule")
    if body.startswith("@every "):
        raise ScheduleError(f"timezone is not supported for @every schedules: {spec}")
    return _load_zone(spec[spec.index("=") + 1 : space]), body


def _load_zone(name: str) -> tzinfo:
    """Go's ``time.LoadLocation``; ``Local`` is taken as UTC (the Scheduler runs in UTC)."""
    if name in ("", "UTC", "Local"):
        return UTC
    if ".." in name or name.startswith(("/", "\\")):
        raise ScheduleError(f"provided bad location {name}: time: invalid location name")
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ScheduleError(f"provided bad location {name}: unknown time zone {name}") from None


_DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}


def _descriptor(body: str, zone: tzinfo) -> CronSchedule | EverySchedule:
    if body in _DESCRIPTORS:
        fields = _DESCRIPTORS[body].split()
        return _build(fields, zone)
    if not body.startswith("@every "):
        raise ScheduleError(f"unrecognized descriptor: {body}")
    try:
        return EverySchedule(parse_go_duration(body[len("@every ") :]))
    except TimeFormatError as exc:
        raise ScheduleError(f"failed to parse duration {body}: {exc}") from None


def _field(text: str, bounds: _Bounds) -> int:
    """A comma list of ranges; empty items are skipped, as Go's ``FieldsFunc`` does."""
    bits = 0
    for expr in (part for part in text.split(",") if part):
        bits |= _range(expr, bounds)
    return bits


def _range(expr: str, b: _Bounds) -> int:
    """``*``, ``?``, ``n``, ``a-b``, each optionally ``/step`` (``n/step`` means ``n-max/step``)."""
    range_step = expr.split("/")
    low_high = range_step[0].split("-")
    start, end, star = _endpoints(expr, low_high, b)
    step = 1
    if len(range_step) > 2:
        raise ScheduleError(f"too many slashes: {expr}")
    if len(range_step) == 2:
        step = _uint(range_step[1])
        end = b.high if len(low_high) == 1 else end
        star = star if step <= 1 else 0
    _check(expr, start, end, step, b)
    return sum(1 << v for v in range(start, end + 1, step)) | star


def _endpoints(expr: str, low_high: list[str], b: _Bounds) -> tuple[int, int, int]:
    if low_high[0] in ("*", "?"):
        return b.low, b.high, _STAR  # kit ignores anything after "*-"
    start = _int_or_name(low_high[0], b)
    if len(low_high) > 2:
        raise ScheduleError(f"too many hyphens: {expr}")
    return start, _int_or_name(low_high[-1], b) if len(low_high) == 2 else start, 0


def _check(expr: str, start: int, end: int, step: int, b: _Bounds) -> None:
    if start < b.low:
        raise ScheduleError(f"beginning of range ({start}) below minimum ({b.low}): {expr}")
    if end > b.high:
        raise ScheduleError(f"end of range ({end}) above maximum ({b.high}): {expr}")
    if start > end:
        raise ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ScheduleError(f"step of range should be a positive number: {expr}")


def _int_or_name(text: str, b: _Bounds) -> int:
    if text.lower() in b.names:
        return b.low + b.names.index(text.lower())
    return _uint(text)


def _uint(text: str) -> int:
    """kit's ``mustParseInt``: Go ``strconv.Atoi``, then no negatives."""
    atoi = f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": '
    if not _ATOI.fullmatch(text):
        raise ScheduleError(atoi + "invalid syntax")
    if len(text.lstrip("+-").lstrip("0")) > 19 or not -(1 << 63) <= int(text) < 1 << 63:
        raise ScheduleError(atoi + "value out of range")
    if int(text) < 0:
        raise ScheduleError(f"negative number ({int(text)}) not allowed: {text}")
    return int(text)
