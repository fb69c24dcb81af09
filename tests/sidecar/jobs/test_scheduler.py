"""Scheduler behaviour on a manual clock: no sleeping, drain mode and the running loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from sidecar.clock import ManualClock
from sidecar.jobs import (
    FailurePolicy,
    JobRecord,
    JobSpec,
    MemoryJobStore,
    Outcome,
    PolicyKind,
    Scheduler,
    first_tick,
    make_plan,
)
from sidecar.jobs._scheduler import LateFires

OWNER = "app||default||myapp"


@dataclass
class Recorder:
    """A fake app: records each delivery (name, clock time) and answers from a script."""

    clock: ManualClock
    outcomes: list[Outcome] = field(default_factory=list)
    calls: list[tuple[str, float]] = field(default_factory=list)
    delivered: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, record: JobRecord) -> Outcome:
        self.calls.append((record.name, self.clock.now()))
        self.delivered.set()
        return self.outcomes.pop(0) if self.outcomes else Outcome.SUCCESS


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_000.0)


@pytest.fixture
async def scheduler(clock: ManualClock) -> AsyncIterator[Scheduler]:
    yield Scheduler(MemoryJobStore(), clock)


async def _turns(n: int = 50) -> None:
    """Let ready tasks take their turns (yields to the loop; no wall-clock time involved)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def add(s: Scheduler, name: str, spec: JobSpec) -> None:
    now = s.clock.now()
    tick = first_tick(make_plan(spec, now), now)
    assert tick is not None
    await s.store.put(JobRecord(OWNER, name, spec, now, tick, tick), overwrite=True)


async def test_never_fires_early(scheduler: Scheduler, clock: ManualClock) -> None:
    app = Recorder(clock)
    scheduler.serve(OWNER, app)
    await add(scheduler, "j", JobSpec(due_time="10s"))
    clock.advance(9.999)
    assert await scheduler.run_due() == 0
    clock.advance(0.001)
    assert await scheduler.run_due() == 1
    assert app.calls == [("j", 1010.0)]
    assert await scheduler.store.get(OWNER, "j") is None  # one-shot deleted after firing


async def test_default_policy_gives_four_attempts_one_second_apart(
    scheduler: Scheduler, clock: ManualClock
) -> None:
    app = Recorder(clock, outcomes=[Outcome.FAILED] * 10)
    scheduler.serve(OWNER, app)
    await add(scheduler, "j", JobSpec(due_time="0s"))
    for _ in range(5):
        await scheduler.run_due()
        clock.advance(1)
    assert [t for _, t in app.calls] == [1000.0, 1001.0, 1002.0, 1003.0]
    assert await scheduler.store.get(OWNER, "j") is None


async def test_drop_policy_attempts_once(scheduler: Scheduler, clock: ManualClock) -> None:
    app = Recorder(clock, outcomes=[Outcome.FAILED])
    scheduler.serve(OWNER, app)
    await add(scheduler, "j", JobSpec(due_time="0s", failure_policy=FailurePolicy(PolicyKind.DROP)))
    await scheduler.run_due()
    clock.advance(5)
    await scheduler.run_due()
    assert len(app.calls) == 1


async def test_retry_success_moves_on_to_next_tick(
    scheduler: Scheduler, clock: ManualClock
) -> None:
    app = Recorder(clock, outcomes=[Outcome.FAILED, Outcome.SUCCESS, Outcome.SUCCESS])
    scheduler.serve(OWNER, app)
    policy = FailurePolicy(PolicyKind.CONSTANT, 2.0, 5, "2s")
    await add(scheduler, "j", JobSpec(schedule="@every 10s", repeats=2, failure_policy=policy))
    for _ in range(25):
        clock.advance(1)
        await scheduler.run_due()
    assert [t - 1000 for _, t in app.calls] == [10.0, 12.0, 20.0]


async def test_missed_ticks_replay_back_to_back(scheduler: Scheduler, clock: ManualClock) -> None:
    app = Recorder(clock)
    await add(scheduler, "j", JobSpec(schedule="@every 1s", repeats=5))
    clock.advance(60)  # nobody served the owner meanwhile (app not running)
    scheduler.serve(OWNER, app)
    assert await scheduler.run_due() == 5
    assert await scheduler.store.get(OWNER, "j") is None


async def test_unserved_owner_waits(scheduler: Scheduler, clock: ManualClock) -> None:
    await add(scheduler, "j", JobSpec(due_time="1s"))
    clock.advance(10)
    assert await scheduler.run_due() == 0
    assert await scheduler.store.get(OWNER, "j") is not None


async def test_loop_sleeps_until_deadline_and_wakes_on_new_job(
    scheduler: Scheduler, clock: ManualClock
) -> None:
    app = Recorder(clock)
    scheduler.serve(OWNER, app)
    async with scheduler:
        await add(scheduler, "far", JobSpec(due_time="3h"))
        scheduler.wake()
        await add(scheduler, "near", JobSpec(due_time="1m"))
        scheduler.wake()
        await _turns()  # the loop runs its cycles: nothing is due on the manual clock
        assert app.calls == []
        clock.advance(60)
        async with asyncio.timeout(2):
            await app.delivered.wait()
        assert app.calls == [("near", 1060.0)]


async def test_different_jobs_are_delivered_concurrently(
    scheduler: Scheduler, clock: ManualClock
) -> None:
    started = 0
    both = asyncio.Event()
    release = asyncio.Event()

    async def slow(record: JobRecord) -> Outcome:
        nonlocal started
        started += 1
        if started == 2:
            both.set()
        await release.wait()
        return Outcome.SUCCESS

    scheduler.serve(OWNER, slow)
    await add(scheduler, "a", JobSpec(due_time="0s"))
    await add(scheduler, "b", JobSpec(due_time="0s"))
    async with scheduler:
        async with asyncio.timeout(2):
            await both.wait()
        release.set()


async def test_recover_releases_leases_of_dead_process(clock: ManualClock) -> None:
    store = MemoryJobStore()
    s = Scheduler(store, clock)
    await add(s, "j", JobSpec(due_time="0s"))
    await store.claim([OWNER], clock.now(), 10, "999999999:deadbeef", 600)
    assert await s.recover() == 1
    app = Recorder(clock)
    s.serve(OWNER, app)
    assert await s.run_due() == 1


async def test_deliveries_are_bounded_and_the_rest_wait_unclaimed(clock: ManualClock) -> None:
    store = MemoryJobStore()
    s = Scheduler(store, clock, max_inflight=2)
    running, peak, done = 0, 0, 0
    release = asyncio.Event()
    all_done = asyncio.Event()

    two_running = asyncio.Event()

    async def slow(record: JobRecord) -> Outcome:
        nonlocal running, peak, done
        running += 1
        peak = max(peak, running)
        if running == 2:
            two_running.set()
        await release.wait()
        running -= 1
        done += 1
        if done == 5:
            all_done.set()
        return Outcome.SUCCESS

    s.serve(OWNER, slow)
    for i in range(5):
        await add(s, f"j{i}", JobSpec(due_time="0s"))
    async with s:
        async with asyncio.timeout(5):
            await two_running.wait()
        await _turns()  # the loop would claim more now if it could
        assert running == 2
        assert await store.lease_holders() == {s.id}
        claimed_now = len(await store.claim([OWNER], clock.now(), 10, "other", 30))
        assert claimed_now == 3  # the three waiting jobs were never claimed by the busy scheduler
        await store.release_leases(["other"])
        release.set()
        async with asyncio.timeout(2):
            await all_done.wait()
    assert peak == 2


@pytest.mark.parametrize("second", ["same", "other"])
async def test_slow_delivery_is_never_claimed_twice_while_its_holder_lives(
    clock: ManualClock, second: str
) -> None:
    """A delivery longer than the lease keeps its job (daprd: one tick in flight per job)."""
    store = MemoryJobStore()
    first = Scheduler(store, clock, lease=30.0)
    other = first if second == "same" else Scheduler(store, clock, lease=30.0)
    release, started, done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def slow(record: JobRecord) -> Outcome:
        calls.append(record.name)
        started.set()
        await release.wait()
        done.set()
        return Outcome.SUCCESS

    first.serve(OWNER, slow)
    other.serve(OWNER, slow)
    await add(first, "j", JobSpec(due_time="0s"))
    async with contextlib.AsyncExitStack() as stack:
        for s in {first, other}:
            await stack.enter_async_context(s)
        async with asyncio.timeout(5):
            await started.wait()
        for _ in range(4):  # two minutes pass while the app still answers the first call
            clock.advance(31)
            await _turns()
        release.set()
        async with asyncio.timeout(5):
            await done.wait()
    assert calls == ["j"]


async def test_slow_deliveries_give_their_slot_back_so_other_jobs_go_on(
    clock: ManualClock,
) -> None:
    """Two handlers that hang hold both slots only until ``slow_after``; the third job goes."""
    store = MemoryJobStore()
    s = Scheduler(store, clock, max_inflight=2, slow_after=0.05)
    hang, third = asyncio.Event(), asyncio.Event()

    async def app(record: JobRecord) -> Outcome:
        if record.name == "fast":
            third.set()
            return Outcome.SUCCESS
        await hang.wait()
        return Outcome.SUCCESS

    s.serve(OWNER, app)
    await add(s, "slow-1", JobSpec(due_time="0s"))
    await add(s, "slow-2", JobSpec(due_time="0s"))
    clock.advance(1)
    await add(s, "fast", JobSpec(due_time="0s"))
    async with s:
        async with asyncio.timeout(5):
            await third.wait()
        hang.set()


def test_late_fires_are_logged_at_most_once_per_window_with_the_count_held(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = JobSpec(due_time="1s")
    late = LateFires(every=10.0)
    with caplog.at_level(logging.WARNING, logger="sidecar.jobs._scheduler"):
        for i, now in enumerate((0.0, 1.0, 2.0, 9.9, 10.0)):
            record = JobRecord("app||default||a", f"j{i}", spec, 0.0, 0.0, 0.0)
            late.note(record, 2.5 + i, now)
    assert caplog.messages == [
        "app||default||a j0 fired late by 2.500 s",
        "app||default||a j4 fired late by 6.500 s (3 more late since the last line)",
    ]


class CountingStore(MemoryJobStore):
    """A memory store that records the limit of every claim that found something."""

    def __init__(self) -> None:
        super().__init__()
        self.claim_limits: list[int] = []

    async def claim(
        self, owners: list[str], now: float, limit: int, lease_owner: str, lease: float
    ) -> list[JobRecord]:  # type: ignore[override]
        claimed = await super().claim(owners, now, limit, lease_owner, lease)
        if claimed:
            self.claim_limits.append(limit)
        return claimed


async def test_a_full_scheduler_claims_again_in_batches_not_per_finished_delivery(
    clock: ManualClock,
) -> None:
    """Slots freed one at a time are claimed a quarter of them at once (one store call per
    batch of due jobs, not per finished delivery)."""
    store = CountingStore()
    s = Scheduler(store, clock, max_inflight=8, batch=8)
    waiting: list[asyncio.Event] = []
    delivered: list[str] = []
    some_waiting = asyncio.Event()

    async def app(record: JobRecord) -> Outcome:
        gate = asyncio.Event()
        waiting.append(gate)
        some_waiting.set()
        await gate.wait()
        delivered.append(record.name)
        return Outcome.SUCCESS

    s.serve(OWNER, app)
    for i in range(30):
        await add(s, f"j{i:02}", JobSpec(due_time="0s"))
    async with s:
        async with asyncio.timeout(10):
            while len(delivered) < 30:
                await some_waiting.wait()
                some_waiting.clear()
                while waiting:  # finish the deliveries one at a time, the loop turning between
                    waiting.pop(0).set()
                    await _turns()
    assert sorted(delivered) == [f"j{i:02}" for i in range(30)]
    assert min(store.claim_limits) >= 2  # a quarter of the 8 slots
