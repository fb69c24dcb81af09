"""Request values as domain values: lead times, escalation, snooze target, due time. Each
refusal names the field at fault."""

from __future__ import annotations

from datetime import datetime, timedelta

from ._contracts import EscalationIn, SnoozeTask
from ._errors import DueDateInPastError, InvalidFieldError
from ._plan import Escalation
from ._times import format_instant, parse_duration, parse_instant


def leads_of(
    reminders: list[str] | None, remind_before: str | None, default: timedelta
) -> tuple[timedelta, ...]:
    if reminders is not None and remind_before is not None:
        raise InvalidFieldError("reminders", "give reminders or remind_before, not both")
    if reminders is not None:
        return tuple(parse_duration(f"reminders.{i}", r) for i, r in enumerate(reminders))
    return (parse_duration("remind_before", remind_before) if remind_before else default,)


def escalation_of(req: EscalationIn | None) -> Escalation | None:
    if req is None:
        return None
    every = parse_duration("escalation.every", req.every)
    if every <= timedelta(0) and req.max > 1:
        raise InvalidFieldError("escalation.every", "must be longer than zero")
    return Escalation(to=tuple(req.escalate_to), every=every, max=req.max)


def snooze_until(req: SnoozeTask, now: datetime) -> datetime:
    if (req.for_ is None) == (req.until is None):
        raise InvalidFieldError("for", "give exactly one of for (a duration) and until (a time)")
    if req.for_ is not None:
        span = parse_duration("for", req.for_)
        if span <= timedelta(0):
            raise InvalidFieldError("for", "must be longer than zero")
        return now + span
    until = parse_instant("until", req.until or "")
    if until <= now:
        raise InvalidFieldError("until", f"{req.until} is not in the future")
    return until


def future_due(value: str, now: datetime) -> datetime:
    due_at = parse_instant("due_at", value)
    if due_at <= now:
        raise DueDateInPastError(value, format_instant(now))
    return due_at
