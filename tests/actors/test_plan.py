"""The plan rules as a table: pure functions of (due, leads, escalation, now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actors._contracts import JobKind
from actors._plan import Escalation, Moved, acknowledge, build_plan, snooze

DUE = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
LEAD = Escalation(to=("lead",), every=4 * H, max=3)


def keys_at(plan: tuple[object, ...]) -> list[tuple[str, str]]:
    return [(s.key, s.at.strftime("%d %H:%M")) for s in plan]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("leads", "now", "expected"),
    [
        ([24 * H, H], DUE - 48 * H, [("reminder", "09 12:00"), ("reminder2", "10 11:00")]),
        ([H, 24 * H], DUE - 48 * H, [("reminder", "09 12:00"), ("reminder2", "10 11:00")]),
        # the day-before reminder has passed: it moves to now; the hour-before one stays
        ([24 * H, H], DUE - 5 * H, [("reminder", "10 07:00"), ("reminder2", "10 11:00")]),
        # both passed: only the closest to due is sent, now
        ([24 * H, H], DUE - H / 2, [("reminder", "10 11:30")]),
        ([], DUE - 48 * H, []),
    ],
)
def test_reminders(leads: list[timedelta], now: datetime, expected: list[tuple[str, str]]) -> None:
    plan = build_plan(DUE, leads, "bob", None, False, now)
    assert keys_at(plan)[:-1] == expected
    assert (plan[-1].key, plan[-1].at) == ("overdue", DUE)


def test_moved_to_now_is_marked() -> None:
    plan = build_plan(DUE, [24 * H, H], "bob", None, False, DUE - 5 * H)
    assert [s.moved for s in plan] == [Moved.NOW, None, None]
    assert plan[0].nominal == DUE - 24 * H


def test_escalation_chain_follows_the_due_notice_and_recur_comes_last() -> None:
    plan = build_plan(DUE, [H], "bob", LEAD, True, DUE - 48 * H)
    assert keys_at(plan) == [
        ("reminder", "10 11:00"),
        ("overdue", "10 12:00"),
        ("escalation", "10 12:00"),
        ("recur", "10 12:00"),
        ("escalation2", "10 16:00"),
        ("escalation3", "10 20:00"),
    ]
    assert plan[2].recipients == ("lead",) and plan[1].recipients == ("bob",)
    assert plan[3].kind is JobKind.RECUR and not plan[3].notifies


def test_snooze_moves_the_next_notification_and_silences_those_before_it() -> None:
    plan = build_plan(DUE, [24 * H, H], "bob", LEAD, True, DUE - 48 * H)
    snoozed = snooze(plan, DUE + 2 * H)
    assert snoozed is not None
    assert keys_at(snoozed) == [
        ("recur", "10 12:00"),
        ("reminder", "10 14:00"),
        ("escalation2", "10 16:00"),
        ("escalation3", "10 20:00"),
    ]
    assert snoozed[1].moved is Moved.SNOOZED


def test_snooze_never_brings_a_fire_forward() -> None:
    plan = build_plan(DUE, [H], "bob", None, False, DUE - 48 * H)
    snoozed = snooze(plan, DUE - 30 * H)
    assert snoozed is not None and snoozed[0].at == DUE - H


def test_snooze_without_pending_notification_is_none_and_ack_keeps_only_recur() -> None:
    plan = build_plan(DUE, [H], "bob", LEAD, True, DUE - 48 * H)
    acked = acknowledge(plan)
    assert [s.key for s in acked] == ["recur"]
    assert snooze(acked, DUE + H) is None
