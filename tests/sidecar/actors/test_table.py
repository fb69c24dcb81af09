"""The actor table's idle deactivation: deadlines in a heap, no scan per turn."""

from __future__ import annotations

import asyncio
import gc

from sidecar.actors._app_config import TypeConfig
from sidecar.actors._lock import TurnLock
from sidecar.actors._table import ActiveActor, ActorTable
from sidecar.clock import ManualClock


async def _settle() -> None:
    for _ in range(20):  # let ready callbacks run; no wall-clock waiting
        await asyncio.sleep(0)


def _table(clock: ManualClock, gone: list[str]) -> ActorTable:
    async def deactivate(actor_type: str, actor_id: str) -> None:
        gone.append(actor_id)

    return ActorTable(clock, lambda _t: TypeConfig(idle_timeout=60.0), deactivate)


async def test_turns_do_not_wake_the_idle_task_when_an_earlier_deadline_waits() -> None:
    clock, gone = ManualClock(1000.0), []
    table = _table(clock, gone)
    table.start()
    wakeups = 0
    due = table._due

    def counting(now: float) -> list[object]:
        nonlocal wakeups
        wakeups += 1
        return due(now)  # type: ignore[return-value]

    table._due = counting  # type: ignore[assignment,method-assign]
    async with table.turn("A", "first", None):
        pass
    await _settle()
    before = wakeups
    for i in range(200):
        async with table.turn("A", str(i), None):
            pass
        await _settle()
    assert wakeups == before  # later deadlines never wake the task
    clock.advance(60)
    await _settle()
    assert gone[0] == "first" and sorted(gone) == sorted(["first", *map(str, range(200))])
    await table.stop()


async def test_actor_left_idle_by_a_cancelled_waiter_is_still_deactivated() -> None:
    clock, gone = ManualClock(1000.0), []
    table = _table(clock, gone)
    table.start()
    holder = table.turn("A", "a", None)
    await holder.__aenter__()
    waiter = asyncio.create_task(table.turn("A", "a", None).__aenter__())
    await _settle()
    await holder.__aexit__(None, None, None)  # grants the turn to the waiter...
    waiter.cancel()  # ...which is cancelled before it runs: it passes the turn on
    await asyncio.gather(waiter, return_exceptions=True)
    clock.advance(61)
    await _settle()
    assert gone == ["a"]
    await table.stop()


async def test_stop_lets_an_ongoing_call_finish_within_the_drain_timeout() -> None:
    clock, gone = ManualClock(1000.0), []
    table = _table(clock, gone)
    table.start()
    finished = []
    release = asyncio.Event()

    async def call() -> None:
        async with table.turn("A", "busy", None):
            await release.wait()
            finished.append(gone.copy())  # not yet deactivated while the call runs

    task = asyncio.create_task(call())
    await _settle()
    stopping = asyncio.create_task(table.stop())
    await _settle()
    assert gone == []
    release.set()
    async with asyncio.timeout(5):
        await stopping
    await task
    assert finished == [[]] and gone == ["busy"]


async def test_a_sweep_of_many_idle_actors_lets_the_loop_turn_between_small_groups() -> None:
    """100,000 deadlines passing at once stalled the loop for the whole sweep (14.7 s in
    bench/actor_turns.py) when deactivations completed without suspending."""
    clock, gone = ManualClock(1000.0), []
    beats = 0
    seen_at: list[int] = []
    all_gone = asyncio.Event()

    async def deactivate(actor_type: str, actor_id: str) -> None:
        seen_at.append(beats)
        gone.append(actor_id)
        if len(gone) == 2000:
            all_gone.set()

    async def heartbeat() -> None:
        nonlocal beats
        while True:
            beats += 1
            await asyncio.sleep(0)

    table = ActorTable(clock, lambda _t: TypeConfig(idle_timeout=60.0), deactivate)
    table.start()
    for i in range(2000):
        async with table.turn("A", str(i), None):
            pass
    beating = asyncio.create_task(heartbeat())
    clock.advance(61)
    async with asyncio.timeout(10):
        await all_gone.wait()
    beating.cancel()
    most_in_one_turn = max(seen_at.count(b) for b in set(seen_at))
    assert most_in_one_turn <= 64  # ActorTable.SWEEP_AT_ONCE
    await table.stop()


async def test_idle_actors_are_deactivated_concurrently() -> None:
    clock = ManualClock(1000.0)
    in_flight, release = 0, asyncio.Event()
    most = 0

    async def deactivate(actor_type: str, actor_id: str) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await release.wait()
        in_flight -= 1

    table = ActorTable(clock, lambda _t: TypeConfig(idle_timeout=60.0), deactivate)
    table.start()
    for i in range(10):
        async with table.turn("A", str(i), None):
            pass
    clock.advance(61)
    await _settle()
    assert most == 10  # every DELETE is out at once, as daprd's reaper does
    release.set()
    await _settle()
    assert table.counts() == {}
    await table.stop()


def _recording_table(clock: ManualClock, events: list[str], gate: asyncio.Event) -> ActorTable:
    async def deactivate(actor_type: str, actor_id: str) -> None:
        events.append(f"delete {actor_id}")

    async def activated(actor_type: str, actor_id: str) -> None:
        events.append(f"activate {actor_id}")
        await gate.wait()  # another sidecar still has it active

    async def deactivated(actor_type: str, actor_id: str) -> None:
        events.append(f"released {actor_id}")

    return ActorTable(
        clock,
        lambda _t: TypeConfig(idle_timeout=60.0),
        deactivate,
        activated=activated,
        deactivated=deactivated,
    )


async def test_an_activation_is_recorded_before_the_first_turn_and_released_after_the_last() -> (
    None
):
    clock, events, gate = ManualClock(1000.0), [], asyncio.Event()
    table = _recording_table(clock, events, gate)
    table.start()

    async def call(name: str) -> None:
        async with table.turn("A", "a", None):
            events.append(name)

    first, second = asyncio.create_task(call("first")), asyncio.create_task(call("second"))
    await _settle()
    assert events == ["activate a"]  # both wait: the first for the record, the second behind it
    gate.set()
    await asyncio.gather(first, second)
    assert events == ["activate a", "first", "second"]  # recorded once
    clock.advance(61)
    await _settle()
    assert events[3:] == ["delete a", "released a"]
    await table.stop()


async def test_a_caller_that_hangs_up_while_the_activation_waits_leaves_nothing_active() -> None:
    clock, events, gate = ManualClock(1000.0), [], asyncio.Event()
    table = _recording_table(clock, events, gate)
    table.start()
    gone = asyncio.create_task(table.turn("A", "a", None).__aenter__())
    await _settle()
    queued = asyncio.create_task(table.turn("A", "a", None).__aenter__())
    await _settle()
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    await _settle()
    assert events == ["activate a", "activate a"]  # the queued call activates it afresh
    assert table.is_active("A", "a")
    gate.set()
    await queued
    table._actors["A", "a"].lock.release()
    await table.stop()
    assert events[2:] == ["delete a", "released a"]


async def test_a_deactivated_actor_is_freed_at_once_not_left_to_the_garbage_collector() -> None:
    """An actor and its lock formed a reference cycle (the lock's idle callback held the actor),
    so every deactivated actor stayed in memory until a full pass of the cyclic garbage
    collector, which walks every object: at 100,000 actors a pass took ~220 ms, and the
    deactivations' garbage set one off in the middle of the idle sweep."""
    clock, gone = ManualClock(1000.0), []
    table = _table(clock, gone)
    table.start()
    gc.collect()
    gc.disable()  # from here on, only reference counting frees anything
    try:
        for i in range(50):
            async with table.turn("A", str(i), None):
                pass
        assert len(_alive(ActiveActor)) == 50
        clock.advance(61)
        await _settle()
        assert len(gone) == 50
        assert _alive(ActiveActor) == [] and _alive(TurnLock) == []
    finally:
        gc.enable()
        await table.stop()


def _alive(kind: type) -> list[object]:
    return [o for o in gc.get_objects() if isinstance(o, kind)]


async def test_a_long_run_of_stale_deadlines_is_popped_in_groups_letting_the_loop_turn() -> None:
    """Each turn queues a new deadline and leaves the actor's earlier one stale in the heap. The
    sweep popped a run of stale ones without ever letting the loop turn: ~55 ms at 100,000
    actors after 20,000 turns, in one step of the task."""
    clock, gone = ManualClock(1000.0), []
    table = _table(clock, gone)
    table.start()
    for i in range(3000):
        async with table.turn("A", str(i), None):
            pass
    clock.advance(1)
    for i in range(3000):  # the first 3,000 deadlines are stale now
        async with table.turn("A", str(i), None):
            pass
    await _settle()
    assert len(table._deadlines) == 6000
    seen: list[int] = []

    async def watch() -> None:
        while not gone:
            seen.append(len(table._deadlines))
            await asyncio.sleep(0)

    watching = asyncio.create_task(watch())
    await asyncio.sleep(0)
    clock.advance(60)  # all 6,000 are due, the 3,000 stale ones first
    for _ in range(10_000):
        if len(gone) == 3000:
            break
        await asyncio.sleep(0)
    assert len(gone) == 3000
    await watching
    assert any(3000 < n < 6000 for n in seen), seen[-5:]  # the loop turned among the stale ones
    await table.stop()
