"""Recurring tasks: RFC 5545 RRULEs (python-dateutil), evaluated in the task's time zone.

The series starts (DTSTART) at its first instance's due time, taken as wall time in the task's
zone, so ``FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=0`` in ``Europe/Berlin`` is due at 09:00 local
on both sides of a DST change. A wall time that does not exist on a day (the hour skipped in
spring) is shifted forward by the gap; one that occurs twice (autumn) is taken the first time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from ._errors import InvalidRecurrenceError

_REFUSED = ("DTSTART", "RDATE", "EXDATE", "EXRULE")


def validate_rule(field: str, text: str, start: datetime, zone: str) -> str:
    """The rule as given (without an ``RRULE:`` prefix), if it parses for that start."""
    rule_text = _strip(text)
    _parse(field, rule_text, start, zone)
    return rule_text


def next_due(text: str, start: datetime, zone: str, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (UTC), or None when the rule has ended."""
    local = ZoneInfo(zone)
    found = _parse("recurrence", text, start, zone).after(after.astimezone(local), inc=False)
    return _utc(found) if found is not None else None


def _strip(text: str) -> str:
    rule_text = text.strip()
    return rule_text[6:] if rule_text.upper().startswith("RRULE:") else rule_text


def _parse(field: str, text: str, start: datetime, zone: str) -> rrule:
    upper = text.upper()
    refused = next((word for word in _REFUSED if word in upper), None)
    if not upper.startswith("FREQ=") and ";FREQ=" not in upper:
        raise InvalidRecurrenceError(field, f"{text!r} is not an RRULE (no FREQ)")
    if refused is not None:
        raise InvalidRecurrenceError(field, f"{text!r}: {refused} is not supported")
    try:
        rule = rrulestr(text, dtstart=start.astimezone(ZoneInfo(zone)))
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidRecurrenceError(field, f"{text!r}: {exc}") from exc
    if not isinstance(rule, rrule):
        raise InvalidRecurrenceError(field, f"{text!r} is not a single RRULE")
    return rule


def _utc(moment: datetime) -> datetime:
    # Wall time in the zone with fold=0: a skipped time maps past the gap, a repeated one first.
    return moment.astimezone(UTC)
