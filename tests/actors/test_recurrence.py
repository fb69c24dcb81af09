"""Recurring tasks: the rule in the task's zone (DST), instances, editing, ending."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actors import ProjectManagementAgent
from actors._recurrence import next_due

from .fakes import FakeNotifier, FakeScheduler, ManualClock, fire_first
from .test_actor import error, value

WEEKLY = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=0"
BERLIN = "Europe/Berlin"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2030-03-22T08:00", "2030-03-29T08:00"),  # 09:00 CET
        ("2030-03-29T08:00", "2030-04-05T07:00"),  # 09:00 CEST: clocks went forward on 31 March
        ("2030-10-18T07:00", "2030-10-25T07:00"),  # 09:00 CEST
        ("2030-10-25T07:00", "2030-11-01T08:00"),  # 09:00 CET: back on 27 October
    ],
)
def test_weekly_nine_oclock_berlin_across_dst(after: str, expected: str) -> None:
    start = utc("2030-01-04T08:00")
    assert next_due(WEEKLY, start, BERLIN, utc(after)) == utc(expected)


def test_skipped_and_repeated_wall_times() -> None:
    daily = "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"  # 02:30 does not exist on 31 March in Berlin
    start = utc("2030-03-29T01:30")
    assert next_due(daily, start, BERLIN, utc("2030-03-30T02:00")) == utc("2030-03-31T01:30")
    autumn = "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"  # 02:30 happens twice on 27 October: the first
    assert next_due(autumn, start, BERLIN, utc("2030-10-26T02:00")) == utc("2030-10-27T00:30")


def test_count_and_until_end_the_series() -> None:
    start = utc("2030-01-04T08:00")
    assert next_due(f"{WEEKLY};COUNT=2", start, BERLIN, utc("2030-01-11T08:00")) is None
    until = f"{WEEKLY};UNTIL=20300110T000000Z"
    assert next_due(until, start, BERLIN, start) is None


def weekly(**fields: object) -> dict[str, object]:
    body = {
        "id": "report",
        "title": "Weekly report",
        "assignee": "bob",
        "due_at": "2030-03-22T09:00:00+01:00",
        "time_zone": BERLIN,
        "reminders": ["PT1H"],
        "recurrence": WEEKLY,
    }
    return {**body, **fields}


async def test_the_next_instance_is_created_at_due_with_its_own_reminders(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, notifier: FakeNotifier
) -> None:
    task = (await value(actor.assign_task(weekly())))["task"]
    assert (task["series_id"], task["occurrence"]) == ("report", 1)
    for _ in range(3):  # reminder, due notice, recur
        outcome = await fire_first(actor, scheduler)
    assert outcome == {"outcome": "recur", "next_instance": "report.2"}
    nxt = await value(actor.get_task({"task_id": "report.2"}))
    assert (nxt["due_at_local"], nxt["occurrence"]) == ("2030-03-29T09:00:00+01:00", 2)
    for _ in range(3):
        await fire_first(actor, scheduler)
    third = await value(actor.get_task({"task_id": "report.3"}))
    assert third["due_at_local"] == "2030-04-05T09:00:00+02:00"  # after the change to CEST
    assert third["due_at"] == "2030-04-05T07:00:00Z"
    reminders = [n["fire_at"] for n in notifier.sent if n["kind"] == "reminder"]
    assert reminders == ["2030-03-22T07:00:00Z", "2030-03-29T07:00:00Z"]
    first = await value(actor.get_task({"task_id": "report"}))
    assert (first["status"], first["next_instance"]) == ("open", "report.2")  # still open


async def test_a_repeated_recur_fire_creates_no_second_instance(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(weekly(reminders=[])))
    await fire_first(actor, scheduler)  # the due notice
    recur = next(iter(scheduler.jobs.values())).data
    assert (await fire_first(actor, scheduler))["outcome"] == "recur"
    assert await value(actor.on_reminder_due(recur)) == {"outcome": "duplicate"}
    ids = [t["id"] for t in (await value(actor.list_tasks({})))["tasks"]]
    assert ids == ["report", "report.2"]


async def test_completing_early_creates_the_next_instance_cancelling_ends_the_series(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(weekly()))
    done = await value(actor.complete_task({"task_id": "report"}))
    assert done["next_instance"] == "report.2"
    nxt = await value(actor.get_task({"task_id": "report.2"}))
    assert nxt["due_at"] == "2030-03-29T08:00:00Z"
    await value(actor.cancel_task({"task_id": "report.2"}))
    assert scheduler.jobs == {}
    assert len((await value(actor.list_tasks({})))["tasks"]) == 2


async def test_editing_the_rule_changes_future_occurrences_only(
    actor: ProjectManagementAgent, scheduler: FakeScheduler
) -> None:
    await value(actor.assign_task(weekly()))
    edited = await value(
        actor.update_task({"task_id": "report", "recurrence": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10"})
    )
    assert edited["due_at"] == "2030-03-22T08:00:00Z"  # this instance keeps its due time
    assert [f["step"] for f in edited["next_fires"]] == ["reminder", "overdue", "recur"]
    await value(actor.complete_task({"task_id": "report"}))
    nxt = await value(actor.get_task({"task_id": "report.2"}))
    assert nxt["due_at_local"] == "2030-03-25T10:00:00+01:00"
    stopped = await value(actor.update_task({"task_id": "report.2", "recurrence": ""}))
    assert stopped["recurrence"] is None
    assert [f["step"] for f in stopped["next_fires"]] == ["reminder", "overdue"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"recurrence": "FREQ=FORTNIGHTLY"}, "recurrence"),
        ({"recurrence": "BYDAY=FR"}, "recurrence"),
        ({"recurrence": f"{WEEKLY};UNTIL=20301231"}, "recurrence"),
        ({"recurrence": "DTSTART:20300101T000000Z\nRRULE:FREQ=DAILY"}, "recurrence"),
        ({"id": "r" * 60}, "id"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
    ],
)
async def test_bad_recurrence_is_refused_and_nothing_is_stored(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, fields: dict[str, str], field: str
) -> None:
    err = await error(actor.assign_task(weekly(**fields)))
    assert err["details"]["field"] == field, err
    assert scheduler.jobs == {}
    assert (await value(actor.list_tasks({})))["tasks"] == []


async def test_a_bad_rule_on_update_changes_nothing(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, clock: ManualClock
) -> None:
    before = (await value(actor.assign_task(weekly())))["task"]
    err = await error(actor.update_task({"task_id": "report", "recurrence": "FREQ=NEVER"}))
    assert (err["errorCode"], err["details"]["field"]) == ("ERR_INVALID_RECURRENCE", "recurrence")
    assert await value(actor.get_task({"task_id": "report"})) == before


async def test_a_late_recur_fire_still_makes_the_missed_occurrence(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, clock: ManualClock
) -> None:
    """The notifier was down past the next occurrence: that instance is made, overdue at once."""
    hourly = weekly(recurrence="FREQ=HOURLY;COUNT=3", due_at="2030-01-01T10:00:00Z")
    await value(actor.assign_task(hourly))
    clock.advance(2.5 * 3600)  # 11:30: the recur fire of 10:00 comes late
    for _ in range(3):
        await fire_first(actor, scheduler)
    nxt = await value(actor.get_task({"task_id": "report.2"}))
    assert nxt["due_at"] == "2030-01-01T11:00:00Z"
    assert [(f["step"], f["at"], f["moved_to_now"]) for f in nxt["next_fires"]] == [
        ("reminder", "2030-01-01T11:30:00Z", True),  # all past: now, in plan order
        ("overdue", "2030-01-01T11:30:00Z", True),
        ("recur", "2030-01-01T11:30:00Z", True),
    ]


async def test_occurrences_missed_for_longer_than_a_day_are_skipped(
    actor: ProjectManagementAgent, scheduler: FakeScheduler, clock: ManualClock
) -> None:
    await value(actor.assign_task(weekly(recurrence="FREQ=HOURLY", due_at="2030-01-01T10:00:00Z")))
    clock.advance(72 * 3600)
    await value(actor.complete_task({"task_id": "report"}))
    nxt = await value(actor.get_task({"task_id": "report.2"}))
    assert nxt["due_at"] == "2030-01-03T10:00:00Z"  # a day before now, not 71 hours
