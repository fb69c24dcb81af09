"""A task's plan: the notification steps still to fire, in order. Pure functions, no clock.

Each step fires once, by its own one-shot job (one job per task at a time: the first step's).
Step keys are the kind, numbered from the second of a kind on (``reminder``, ``reminder2``,
``overdue``, ``escalation``, ``escalation2``, ``recur``): a task with one reminder has the keys,
job names and notification ids it had before plans existed.

Rules:
- reminders fire at ``due - lead``; a lead time that has passed when the plan is made moves its
  reminder to "now" (``moved: now``), and of several passed ones only the closest to due is kept
  (the same holds for a due time and escalations that passed, e.g. for an instance of a recurring
  task created late);
- ``overdue`` fires at due, to the assignee; escalations at ``due + k * every`` (k = 0 .. max-1),
  to the escalation recipients; ``recur`` (recurring tasks only) at due creates the next instance;
- at one instant: reminder, overdue, escalation, recur;
- snoozing moves the first pending notification to ``until`` (never earlier than planned) and
  silences the other notifications due before then; acknowledging drops every pending
  notification; neither touches ``recur``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ._contracts import JobKind

_RANK = {JobKind.REMINDER: 0, JobKind.OVERDUE: 1, JobKind.ESCALATION: 2, JobKind.RECUR: 3}


class Moved(StrEnum):
    NOW = "now"  # its lead time had passed when the plan was made
    SNOOZED = "snoozed"


class Escalation(BaseModel):
    model_config = ConfigDict(frozen=True)

    to: tuple[str, ...]
    every: timedelta
    max: int


class Step(BaseModel):
    """One planned fire: when (``at``), when it was meant to be (``nominal``), for whom."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: JobKind
    at: datetime
    nominal: datetime
    recipients: tuple[str, ...] = ()
    moved: Moved | None = None

    @property
    def notifies(self) -> bool:
        return self.kind is not JobKind.RECUR


def step_key(kind: JobKind, number: int) -> str:
    return kind.value if number == 1 else f"{kind.value}{number}"


def kind_of_key(key: str) -> str:
    return key.rstrip("0123456789")


def build_plan(
    due_at: datetime,
    leads: Sequence[timedelta],
    assignee: str,
    escalation: Escalation | None,
    recurring: bool,
    now: datetime,
) -> tuple[Step, ...]:
    reminders = _series(
        JobKind.REMINDER, sorted({due_at - lead for lead in leads}), (assignee,), now
    )
    steps = [*reminders, *_series(JobKind.OVERDUE, [due_at], (assignee,), now)]
    if escalation is not None:
        times = [due_at + k * escalation.every for k in range(escalation.max)]
        steps += _series(JobKind.ESCALATION, times, escalation.to, now)
    if recurring:
        steps += _series(JobKind.RECUR, [due_at], (), now)
    return ordered(steps)


def ordered(steps: Sequence[Step]) -> tuple[Step, ...]:
    return tuple(sorted(steps, key=lambda s: (s.at, _RANK[s.kind], s.nominal)))


def snooze(plan: Sequence[Step], until: datetime) -> tuple[Step, ...] | None:
    """The plan after a snooze, or None when no notification is pending."""
    first = next((s for s in plan if s.notifies), None)
    if first is None:
        return None
    moved = first.model_copy(update={"at": max(first.at, until), "moved": Moved.SNOOZED})
    kept = [s for s in plan if s is not first and (not s.notifies or s.at >= moved.at)]
    return ordered([moved, *kept])


def acknowledge(plan: Sequence[Step]) -> tuple[Step, ...]:
    return tuple(s for s in plan if not s.notifies)


def _series(
    kind: JobKind, nominal: list[datetime], recipients: tuple[str, ...], now: datetime
) -> list[Step]:
    """Steps of one kind at ``nominal`` times; those already past collapse into the latest of
    them, moved to ``now``."""
    passed = [t for t in nominal if t < now]
    times = [passed[-1], *(t for t in nominal if t >= now)] if passed else nominal
    return [
        Step(
            key=step_key(kind, n),
            kind=kind,
            at=max(t, now),
            nominal=t,
            recipients=recipients,
            moved=Moved.NOW if t < now else None,
        )
        for n, t in enumerate(times, start=1)
    ]
