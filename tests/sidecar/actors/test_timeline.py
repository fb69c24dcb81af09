"""Timer and reminder timelines as pure functions, and the table's idle deadlines on a
ManualClock."""

from __future__ import annotations

import asyncio
import json

import pytest

from sidecar.actors._app_config import TypeConfig
from sidecar.actors._reminders import fire_body, reminder_spec, render_reminder
from sidecar.actors._table import ActorTable
from sidecar.actors._timers import Timers, TimerSpecError, next_fire, parse_timer
from sidecar.clock import ManualClock
from sidecar.jobs import JobRecord

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"dueTime": "1s"}, [NOW + 1]),
        ({"dueTime": "1s", "period": "2s"}, [NOW + 1, NOW + 3, NOW + 5, NOW + 7]),
        ({"period": "R3/PT1S"}, [NOW, NOW + 1, NOW + 2]),
        (
            {"dueTime": "0h0m1s0ms0\u03bcs", "period": "1s", "ttl": "2s"},
            [NOW + 1, NOW + 2, NOW + 3],
        ),
    ],
)
def test_timer_ticks(body: dict[str, str], expected: list[float]) -> None:
    spec = parse_timer({"callback": "cb", **body}, NOW, "T||1||t")
    ticks = [spec.first]
    while len(ticks) < 4:
        nxt = next_fire(spec, ticks[-1], len(ticks))
        if nxt is None:
            break
        ticks.append(nxt)
    assert ticks == expected


@pytest.mark.parametrize(
    "body",
    [{"dueTime": "soon"}, {"period": "R0/PT1S"}, {"dueTime": "2020-01-01T00:00:00Z", "ttl": "1s"}],
)
def test_bad_timers(body: dict[str, str]) -> None:
    with pytest.raises(TimerSpecError):
        parse_timer(body, NOW, "T||1||t")


def test_timer_body_has_callback_and_raw_data() -> None:
    spec = parse_timer(
        {"callback": "cb", "data": {"b": 1, "a": "\u03bc"}, "dueTime": "1s"}, NOW, "T||1||t"
    )
    assert json.loads(spec.body()) == {
        "callback": "cb",
        "data": {"b": 1, "a": "\u03bc"},
        "dueTime": "1s",
        "period": "",
    }


def test_reminder_spec_and_its_views() -> None:
    body = {"reminderName": "r", "dueTime": "5s", "period": "R2/PT10S", "data": "cmVt"}
    spec, overwrite = reminder_spec(body, NOW)
    assert overwrite is True
    assert (spec.schedule, spec.repeats, spec.due_time) == ("@every 10s", 2, "5s")
    record = JobRecord("actorreminder||default||T", "id1||r", spec, NOW, NOW + 5, NOW + 5)
    assert fire_body(record) == b'{"data":"cmVt","dueTime":"","period":""}'
    assert render_reminder("T", record) == {
        "actorID": "id1",
        "actorType": "T",
        "dueTime": "5s",
        "period": "@every 10s",
        "data": "cmVt",
    }


def test_reminder_without_data_fires_without_the_key() -> None:
    spec, _ = reminder_spec({"overwrite": False}, NOW)
    record = JobRecord("o", "id||r", spec, NOW, NOW, NOW)
    assert fire_body(record) == b'{"dueTime":"","period":""}'


async def test_idle_deadline_counts_from_the_start_of_the_last_turn() -> None:
    clock = ManualClock(NOW)
    gone: list[tuple[str, str]] = []
    done = asyncio.Event()

    async def deactivate(actor_type: str, actor_id: str) -> None:
        gone.append((actor_type, actor_id))
        done.set()

    table = ActorTable(clock, lambda _t: TypeConfig(idle_timeout=10), deactivate)
    table.start()
    try:
        async with table.turn("T", "1", None):
            clock.advance(4)  # a call that runs 4 s
        clock.advance(5.9)
        await _settle()
        assert gone == [] and table.is_active("T", "1")
        clock.advance(0.1)
        async with asyncio.timeout(1):
            await done.wait()
        assert gone == [("T", "1")] and not table.is_active("T", "1")
    finally:
        await table.stop()


async def test_timer_fires_on_the_manual_clock() -> None:
    clock = ManualClock(NOW)
    fired: list[float] = []

    async def fire(actor_type: str, actor_id: str, name: str, body: bytes) -> None:
        fired.append(clock.now())

    timers = Timers(clock, fire)
    timers.create(
        "T", "1", "t", parse_timer({"dueTime": "1s", "period": "R2/PT1S"}, NOW, "T||1||t")
    )
    await _settle()
    assert fired == []
    for _ in range(3):
        clock.advance(1)
        await _settle()
    assert fired == [NOW + 1, NOW + 2]
    assert "T||1||t" not in timers
    await timers.stop()


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)
