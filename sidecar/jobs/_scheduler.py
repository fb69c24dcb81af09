"""The scheduler: sleeps until the next deadline or a wake-up, claims due records, delivers them.

One scheduler per sidecar. It serves a set of owners (its app's jobs, and the reminders of the
actor types its app hosts); each claimed record goes to the dispatcher registered for its owner
prefix. Deliveries of different jobs run concurrently; one job never has two ticks in flight
because a claimed record stays leased until its outcome is written.

Concurrency: at most ``max_inflight`` deliveries hold a slot (a burst of due jobs reaches the app
in waves, so the first ones arrive at once instead of after a thousand connections are opened). A
delivery still running after ``slow_after`` seconds gives its slot back and goes on outside the
count, so slow handlers never starve the app's other jobs; ``max_total`` bounds all deliveries.
Once every slot is taken, the scheduler claims again only when a quarter of them are free: a
burst is claimed in batches, not one row per finished delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
import os
import secrets
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol

from ..clock import Clock, sleep_until_or_woken
from ..registry import process_start, same_process
from ._model import JobRecord
from ._store import JobStore
from ._timeline import make_plan, next_tick

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SUCCESS = "success"
    FAILED = "failed"


Dispatcher = Callable[[JobRecord], Awaitable[Outcome]]
LATE_AFTER = 1.0  # seconds past its due time after which a first attempt is logged as late
LEASE_CHECK_EVERY = 1.0  # seconds between lease checks in the scheduler loop, at the most
LATE_LOG_EVERY = 10.0  # seconds (event loop time) between two late-fire lines at most


class DeliveryObserver(Protocol):
    """Told of every delivery attempt as it starts and once its outcome is known."""

    def fired(self, record: JobRecord, lateness: float) -> None:
        """``lateness``: seconds from the attempt's due time to now, on the scheduler's clock."""

    def delivered(self, record: JobRecord, outcome: Outcome, ms: float) -> None:
        """``ms``: how long the dispatcher took, in milliseconds."""


def instance_id() -> str:
    """A lease owner id: this process (pid and start time) and a random part."""
    pid = os.getpid()
    return f"{pid}:{process_start(pid)}:{secrets.token_hex(6)}"


def holder_alive(holder: str, mine: str) -> bool:
    """Whether the scheduler that wrote lease ``holder`` may still be running.

    The start time in the id tells a reused pid from the holder's own process (Linux).
    """
    pid_text, _, rest = holder.partition(":")
    if not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return holder == mine or holder in _LIVE_HERE
    started, _, _ = rest.rpartition(":")
    return same_process(pid, started)


_LIVE_HERE: set[str] = set()  # lease owners of schedulers running in this process


def following(record: JobRecord, outcome: Outcome) -> JobRecord | None:
    """The record after one attempt: a retry of the same tick, the next tick, or None (done)."""
    spec = record.spec
    if outcome is Outcome.FAILED and spec.failure_policy.retry_allowed(record.attempts + 1):
        retry_at = record.due_at + spec.failure_policy.interval
        return record.advanced(attempts=record.attempts + 1, due_at=retry_at)
    if spec.schedule is None:  # a one-shot job: its one tick is done
        return None
    count = record.count + 1
    nxt = next_tick(make_plan(spec, record.created_at), record.tick, count)
    if nxt is None:
        return None
    return record.advanced(count=count, attempts=0, tick=nxt, due_at=nxt)


class LateFires:
    """Logs late first attempts: the first at once, then at most one line per ``every`` seconds,
    counting the ones in between (a burst of due jobs must not flood the log)."""

    def __init__(self, every: float = LATE_LOG_EVERY) -> None:
        self.every = every
        self._quiet_until = float("-inf")
        self._held = 0

    def note(self, record: JobRecord, lateness: float, now: float) -> None:
        if now < self._quiet_until:
            self._held += 1
            return
        more = f" ({self._held} more late since the last line)" if self._held else ""
        log.warning("%s %s fired late by %.3f s%s", record.owner, record.name, lateness, more)
        self._quiet_until, self._held = now + self.every, 0


class Scheduler:
    """Fires due records of its owners through their dispatchers.

    Use as an async context manager (starts and stops the loop), or call ``run_due()`` in tests
    to deliver everything due now and return ("drain mode").
    """

    def __init__(
        self,
        store: JobStore,
        clock: Clock,
        *,
        max_inflight: int = 128,
        max_total: int = 256,
        slow_after: float = 5.0,
        batch: int = 256,
        lease: float = 30.0,
        observer: DeliveryObserver | None = None,
    ) -> None:
        self.store = store
        self.observer = observer
        self.late = LateFires()
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.id = instance_id()
        self._dispatchers: dict[str, Dispatcher] = {}
        self.max_inflight = max_inflight
        self.max_total = max_total
        self.slow_after = slow_after  # seconds of the event loop's clock, not job time
        self.refill = max(1, min(batch, max_inflight) // 4)  # free slots worth a claim
        self._inflight: set[asyncio.Task[None]] = set()
        self._slow: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._leases_checked = (-math.inf, -math.inf)  # (loop time, job clock) of the last check
        self.paused = False

    def serve(self, owner: str, dispatcher: Dispatcher) -> None:
        """Start firing ``owner``'s records through ``dispatcher``."""
        self._dispatchers[owner] = dispatcher
        self.wake()

    def stop_serving(self, owner: str) -> None:
        self._dispatchers.pop(owner, None)

    @property
    def owners(self) -> list[str]:
        return list(self._dispatchers)

    def pause(self) -> None:
        """Deliver nothing until ``resume`` (the app is unhealthy); due records wait, unclaimed."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.wake()

    def wake(self) -> None:
        """Something changed (a new job, the clock moved): re-check the next deadline now."""
        self._wakeup.set()

    async def __aenter__(self) -> Scheduler:
        _LIVE_HERE.add(self.id)
        await self.recover()
        self._task = asyncio.create_task(self._run(), name=f"scheduler {self.id}")
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        _LIVE_HERE.discard(self.id)

    async def recover(self) -> int:
        """Release leases of schedulers that died (kill -9) so their jobs fire without delay."""
        return await self._release_dead(await self.store.lease_holders())

    async def _release_dead(self, holders: set[str]) -> int:
        dead = {h for h in holders if not holder_alive(h, self.id)}
        released = await self.store.release_leases(dead) if dead else 0
        if released:
            log.info("released %d job lease(s) left by stopped runtimes", released)
        return released

    async def check_leases(self) -> None:
        """Renew leases whose holder still delivers; release those whose holder is gone."""
        now = self.clock.now()
        stale = await self.store.stale_holders(self.owners, now)
        for holder in stale:
            if holder_alive(holder, self.id):
                await self.store.renew(holder, now + self.lease)
        await self._release_dead(stale)

    async def _check_leases_now_and_then(self) -> None:
        """``check_leases`` once a second of the loop's time or of the job clock (leases last
        30 s; an expired lease is not claimable until released, so a late check delays a dead
        holder's jobs by at most that second, and never lets two deliveries run), not on every
        cycle: with fires at distinct due times a cycle runs per fire."""
        loop_now, clock_now = asyncio.get_running_loop().time(), self.clock.now()
        last_loop, last_clock = self._leases_checked
        if (
            loop_now - last_loop < LEASE_CHECK_EVERY
            and abs(clock_now - last_clock) < LEASE_CHECK_EVERY
        ):
            return
        self._leases_checked = (loop_now, clock_now)
        await self.check_leases()

    async def run_due(self) -> int:
        """Deliver every record due now (and retries that become due now); return how many."""
        total = 0
        while True:
            await self.check_leases()
            claimed = await self._claim(self._free())
            if not claimed:
                await self._drain()
                if not await self._claim_pending():
                    return total
                continue
            total += len(claimed)
            for record in claimed:
                self._start(record)

    async def _claim_pending(self) -> bool:
        if self.paused:
            return False
        nxt = await self.store.next_due(self.owners)
        return nxt is not None and nxt <= self.clock.now()

    async def _drain(self) -> None:
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self._cycle()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler cycle failed; retrying in 1s")
                await asyncio.sleep(1)

    async def _cycle(self) -> None:
        self._wakeup.clear()
        if self.paused:
            await self._sleep(None)
            return
        await self._check_leases_now_and_then()
        limit = self._free()
        if limit == 0 or (limit < self.refill and self._holding()):  # backpressure: finishing
            # deliveries wake us
            await self._sleep(None)
            return
        claimed = await self._claim(limit)
        for record in claimed:
            self._start(record)
        if len(claimed) == limit:
            return
        deadline = await self.store.next_due(self.owners)
        await self._sleep(deadline)

    def _holding(self) -> int:
        return len(self._inflight) - len(self._slow)

    def _free(self) -> int:
        total_left = self.max_total - len(self._inflight)
        return max(0, min(self.batch, self.max_inflight - self._holding(), total_left))

    async def _sleep(self, deadline: float | None) -> None:
        await sleep_until_or_woken(self.clock, deadline, self._wakeup)

    async def _claim(self, limit: int) -> list[JobRecord]:
        if not self._dispatchers or limit == 0 or self.paused:
            return []
        return await self.store.claim(self.owners, self.clock.now(), limit, self.id, self.lease)

    def _start(self, record: JobRecord) -> None:
        task = asyncio.create_task(self._deliver(record))
        self._inflight.add(task)
        slow = asyncio.get_running_loop().call_later(self.slow_after, self._gone_slow, task)
        task.add_done_callback(lambda t: self._finished(t, slow))

    def _gone_slow(self, task: asyncio.Task[None]) -> None:
        if not task.done():
            self._slow.add(task)
            self.wake()  # its slot is free again

    def _finished(self, task: asyncio.Task[None], slow: asyncio.TimerHandle) -> None:
        slow.cancel()
        was_short = self._free() < self.refill
        self._inflight.discard(task)
        self._slow.discard(task)
        if was_short and (self._free() >= self.refill or not self._holding()) and self._free():
            self.wake()

    async def _deliver(self, record: JobRecord) -> None:
        dispatcher = self._dispatchers.get(record.owner)
        if dispatcher is None:  # owner went away while claimed: hand it back untouched
            await self.store.complete(record, record)
            return
        outcome = await self._observed(dispatcher, record)
        nxt = following(record, outcome)
        if await self.store.complete(record, nxt) and nxt is not None:
            self.wake()  # its next attempt may be due before the deadline the loop sleeps to

    async def _observed(self, dispatcher: Dispatcher, record: JobRecord) -> Outcome:
        lateness = self.clock.now() - record.due_at
        loop = asyncio.get_running_loop()
        if record.attempts == 0 and lateness > LATE_AFTER:
            self.late.note(record, lateness, loop.time())
        if self.observer is not None:
            self.observer.fired(record, lateness)
        started = loop.time()
        outcome = await self._attempt(dispatcher, record)
        if self.observer is not None:
            self.observer.delivered(record, outcome, (loop.time() - started) * 1000)
        return outcome

    async def _attempt(self, dispatcher: Dispatcher, record: JobRecord) -> Outcome:
        try:
            return await dispatcher(record)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery of %s %s raised", record.owner, record.name)
            return Outcome.FAILED
