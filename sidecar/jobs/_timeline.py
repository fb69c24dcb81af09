"""When a job fires: pure functions of its definition, its creation time and its counter.

Rules (reference: dapr-jobs.md §2.5): the first tick is the dueTime when given, else the first
schedule match strictly after creation; later ticks follow the previous *scheduled* tick; the job
ends after ``repeats`` ticks or once the next tick falls after the ttl expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import utc
from ..cron import NEVER, Schedule, ScheduleError, parse_schedule
from ..timefmt import TimeFormatError, parse_point_in_time
from ._model import JobSpec

_EPSILON = timedelta(microseconds=1)  # float epoch seconds round-trip to within this


class JobValidationError(ValueError):
    """The definition cannot make a job; the message is go-etcd-cron's text."""


@dataclass(frozen=True)
class Plan:
    """A definition resolved against its creation time."""

    schedule: Schedule | None
    due: datetime | None
    expiry: datetime | None
    repeats: int | None


def make_plan(spec: JobSpec, created_at: float) -> Plan:
    """Validate ``spec`` the way the Scheduler does and resolve its relative times."""
    _check_combinations(spec)
    base = utc(created_at)
    schedule = _schedule(spec.schedule)
    due = _point(spec.due_time, base, "due time") if spec.due_time is not None else None
    expiry = _point(spec.ttl, due or base, "ttl") if spec.ttl is not None else None
    if due is not None and expiry is not None and expiry < due:
        raise JobValidationError("ttl must be greater than due time")
    return Plan(schedule, due, expiry, spec.repeats)


def _check_combinations(spec: JobSpec) -> None:
    if spec.repeats is not None and spec.repeats == 0:
        raise JobValidationError("defined repeats must be greater than 0")
    if spec.schedule is None and spec.repeats is not None and spec.repeats > 1:
        raise JobValidationError("job must have a schedule to repeat")
    if spec.schedule is None and spec.ttl is not None:
        raise JobValidationError("job must have a schedule to have a ttl")


def _schedule(text: str | None) -> Schedule | None:
    if text is None:
        return None
    try:
        return parse_schedule(text)
    except ScheduleError as exc:
        raise JobValidationError(str(exc)) from exc


def _point(text: str, base: datetime, field: str) -> datetime:
    try:
        return parse_point_in_time(text, base, field=field)
    except TimeFormatError as exc:
        raise JobValidationError(str(exc)) from exc


def first_tick(plan: Plan, created_at: float) -> float | None:
    """The first tick, or None when the job can never fire (first tick past its expiry)."""
    if plan.due is not None:
        return _within(plan, plan.due)
    assert plan.schedule is not None
    return _within(plan, plan.schedule.next(utc(created_at)))


def next_tick(plan: Plan, previous: float, count: int) -> float | None:
    """The tick after ``previous`` once ``count`` ticks are done; None when the job is finished."""
    if plan.schedule is None or (plan.repeats is not None and count >= plan.repeats):
        return None
    nxt = plan.schedule.next(utc(previous))
    if nxt.timestamp() <= previous:  # "@every 0s": never spin on one instant
        nxt = utc(previous + 1e-6)
    return _within(plan, nxt)


def _within(plan: Plan, tick: datetime) -> float | None:
    if tick >= NEVER:  # a cron spec that never matches (e.g. 30 February)
        return None
    if plan.expiry is not None and tick - plan.expiry > _EPSILON:
        return None
    return tick.timestamp()
