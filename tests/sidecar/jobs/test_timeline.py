"""Table tests of the job timeline: first tick, next tick, end conditions (dapr-jobs.md §2.5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sidecar.jobs import JobSpec, JobValidationError, first_tick, make_plan, next_tick

T0 = datetime(2026, 9, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def ticks(spec: JobSpec, limit: int = 10) -> list[float]:
    plan = make_plan(spec, T0)
    out: list[float] = []
    tick = first_tick(plan, T0)
    while tick is not None and len(out) < limit:
        out.append(tick - T0)
        tick = next_tick(plan, tick, len(out))
    return out


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (JobSpec(due_time="10s"), [10.0]),
        (JobSpec(due_time="PT1M"), [60.0]),
        (JobSpec(due_time="2026-09-01T14:00:00+02:00"), [0.0]),
        (JobSpec(due_time="-5m"), [-300.0]),
        (JobSpec(schedule="@every 1s", repeats=2), [1.0, 2.0]),
        (JobSpec(schedule="@every 1s", ttl="3s"), [1.0, 2.0, 3.0]),
        (JobSpec(schedule="@every 10s", due_time="5s", repeats=3), [5.0, 15.0, 25.0]),
        (JobSpec(schedule="@every 1s", due_time="2s", ttl="2s"), [2.0, 3.0, 4.0]),
        (JobSpec(schedule="0 30 * * * *", repeats=2), [1800.0, 5400.0]),
        (JobSpec(schedule="@hourly", repeats=1), [3600.0]),
        (JobSpec(schedule="@daily", ttl="1h"), []),
        (JobSpec(due_time="1s", repeats=1), [1.0]),
    ],
)
def test_timeline(spec: JobSpec, expected: list[float]) -> None:
    assert ticks(spec) == pytest.approx(expected, abs=1e-5)


def test_cron_schedule_never_fires_at_creation_instant() -> None:
    # created exactly on a match: the first tick is the next match, not now
    assert ticks(JobSpec(schedule="0 0 12 * * *", repeats=1)) == [86400.0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (JobSpec(due_time="1s", repeats=2), "job must have a schedule to repeat"),
        (JobSpec(schedule="@every 1s", repeats=0), "defined repeats must be greater than 0"),
        (JobSpec(due_time="1s", ttl="1h"), "job must have a schedule to have a ttl"),
        (JobSpec(schedule="* * * * *"), "expected exactly 6 fields, found 5"),
        (JobSpec(schedule="@often"), "unrecognized descriptor"),
        (JobSpec(schedule=""), "empty spec string"),
        (JobSpec(due_time="tomorrow"), "due time format not recognized"),
        (JobSpec(due_time="R2/PT1S"), "repeats not supported"),
        (JobSpec(schedule="@every 1s", ttl="soon"), "ttl format not recognized"),
        (
            JobSpec(schedule="@every 1s", due_time="1h", ttl="2026-09-01T12:30:00Z"),
            "ttl must be greater than due time",
        ),
    ],
)
def test_invalid_definitions(spec: JobSpec, message: str) -> None:
    with pytest.raises(JobValidationError, match=message):
        make_plan(spec, T0)


def test_schedule_that_never_matches_never_fires() -> None:
    assert ticks(JobSpec(schedule="0 0 0 30 2 *")) == []
