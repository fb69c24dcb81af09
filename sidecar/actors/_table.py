"""Active actors on this sidecar: their turn locks and idle deadlines (dapr-sidecar.md §3.7).

An actor becomes active on its first turn. Every turn sets its deadline to the turn's start plus
the type's idle timeout; a background task deactivates an idle actor exactly at its deadline
(close its lock, send ``DELETE /actors/{type}/{id}``, forget it). Turns that arrive while that
DELETE is in flight wait for it and then activate the actor afresh.

Deadlines wait in a heap (lazily: an entry whose deadline is no longer the actor's is skipped), so
a turn costs O(log n) and wakes the background task only when it makes the earliest deadline
earlier; the task looks only at actors whose deadline has come. Actors idle at once are
deactivated concurrently (as daprd's reaper does, one goroutine each), at most ``SWEEP_AT_ONCE``
at a time, and stale deadlines (each turn leaves one) are popped ``POP_AT_ONCE`` at a time, so a
sweep of many never holds the event loop for more than a small group.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from ..clock import Clock, sleep_until_or_woken
from ._app_config import TypeConfig
from ._lock import LockClosedError, TurnLock

log = logging.getLogger(__name__)

Key = tuple[str, str]
Deactivator = Callable[[str, str], Awaitable[None]]
Recorder = Callable[[str, str], Awaitable[None]]


@dataclass(slots=True)
class ActiveActor:
    actor_type: str
    actor_id: str
    deadline: float
    lock: TurnLock = field(default_factory=TurnLock)


class ActorTable:
    """The actors active here. Run it with ``start()``/``stop()`` around the sidecar's life."""

    SWEEP_AT_ONCE = 64  # idle actors being deactivated at once
    POP_AT_ONCE = 1000  # stale deadlines popped between turns of the loop (~2 ms)

    def __init__(
        self,
        clock: Clock,
        config: Callable[[str], TypeConfig],
        deactivate: Deactivator,
        *,
        activated: Recorder | None = None,
        deactivated: Recorder | None = None,
    ) -> None:
        """``deactivate`` tells the app; ``activated`` is awaited in an actor's first turn before
        the app sees it (it may wait for another sidecar to let the actor go), ``deactivated``
        once the actor is forgotten here."""
        self.clock = clock
        self.config = config
        self._deactivate = deactivate
        self._activated = activated
        self._deactivated = deactivated
        self._actors: dict[Key, ActiveActor] = {}
        self._leaving: dict[Key, asyncio.Event] = {}
        self._deadlines: list[tuple[float, int, Key]] = []
        self._seq = itertools.count()
        self._sleeping_until: float | None = None
        self._draining: dict[Key, asyncio.Event] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._turns: dict[str, int] = {}
        self._sweeping: set[asyncio.Task[None]] = set()
        self._sweep_slots = asyncio.Semaphore(self.SWEEP_AT_ONCE)
        self._on_idle = self._watch  # one bound method for every actor's lock

    def is_active(self, actor_type: str, actor_id: str) -> bool:
        return (actor_type, actor_id) in self._actors

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for actor_type, _ in self._actors:
            out[actor_type] = out.get(actor_type, 0) + 1
        return out

    def stats(self) -> dict[str, tuple[int, int, int]]:
        """Per actor type: turns begun, actors in a turn now, calls queued for a turn."""
        out = {t: [n, 0, 0] for t, n in self._turns.items()}
        for (actor_type, _), actor in self._actors.items():
            row = out.setdefault(actor_type, [0, 0, 0])
            row[1] += actor.lock.depth > 0
            row[2] += actor.lock.waiting
        return {t: (n, running, waiting) for t, (n, running, waiting) in out.items()}

    @asynccontextmanager
    async def turn(
        self, actor_type: str, actor_id: str, reentrancy_id: str | None
    ) -> AsyncIterator[ActiveActor]:
        """Hold the actor's turn (activating it if needed) for the duration of the block."""
        cfg = self.config(actor_type)
        rid = reentrancy_id if cfg.reentrant else None
        actor = await self._acquire((actor_type, actor_id), rid, cfg)
        self._turns[actor_type] = self._turns.get(actor_type, 0) + 1
        actor.deadline = self.clock.now() + cfg.idle_timeout
        try:
            yield actor
        finally:
            actor.lock.release()  # calls _watch when the actor is left idle

    def _watch(self, key: Key) -> None:
        """Queue the idle actor's deadline; wake the task only if it comes first."""
        actor = self._actors.get(key)
        if actor is None:
            return
        if (drained := self._draining.get(key)) is not None:
            drained.set()
        heapq.heappush(self._deadlines, (actor.deadline, next(self._seq), key))
        if len(self._deadlines) > 2 * len(self._actors) + 1024:
            self._compact()
        if self._sleeping_until is None or actor.deadline < self._sleeping_until:
            self._wakeup.set()

    def _compact(self) -> None:
        self._deadlines = [(a.deadline, next(self._seq), k) for k, a in self._actors.items()]
        heapq.heapify(self._deadlines)

    async def _acquire(self, key: Key, rid: str | None, cfg: TypeConfig) -> ActiveActor:
        while True:
            leaving = self._leaving.get(key)
            if leaving is not None:
                await leaving.wait()
                continue
            actor = self._actors.get(key)
            if actor is None:
                return await self._activate(key, rid, cfg)
            with contextlib.suppress(LockClosedError):
                await actor.lock.acquire(rid, cfg.max_stack_depth)
                return actor

    async def _activate(self, key: Key, rid: str | None, cfg: TypeConfig) -> ActiveActor:
        """A new active actor, its first turn held: calls that come meanwhile queue for it."""
        actor = ActiveActor(*key, deadline=self.clock.now() + cfg.idle_timeout)
        # by key, not the actor itself: the actor holds its lock, so a lock that held the actor
        # would make a cycle, and every deactivated actor would wait for the cyclic garbage
        # collector's full pass (hundreds of ms at 100,000 actors) to be freed
        actor.lock.on_idle = functools.partial(self._on_idle, key)
        self._actors[key] = actor
        await actor.lock.acquire(rid, cfg.max_stack_depth)  # free: granted at once
        if self._activated is None:
            return actor
        try:
            await self._activated(*key)
        except BaseException:  # the caller hung up, or the record failed: not active after all
            actor.lock.close()
            if self._actors.get(key) is actor:
                del self._actors[key]
            actor.lock.release()  # the calls queued meanwhile look the actor up again
            raise
        return actor

    # idle deactivation ---------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="actor idle deactivation")

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            await self._sweep_due()
            await self._sleep(self._deadlines[0][0] if self._deadlines else None)

    async def _sweep_due(self) -> None:
        """Deactivate the actors whose idle deadline has come (a method of its own, so that no
        local variable keeps the last of them in memory while the task sleeps)."""
        for actor in self._due(self.clock.now()):
            if actor is None:  # a long run of stale deadlines: let the loop turn
                await asyncio.sleep(0)
                continue
            await self._sweep_slots.acquire()  # waits (letting the loop turn) when all busy
            if not actor.lock.busy and actor.deadline <= self.clock.now():  # still idle?
                self._sweep(actor)
            else:
                self._sweep_slots.release()

    def _sweep(self, actor: ActiveActor) -> None:
        task = asyncio.create_task(self.deactivate(actor))
        self._sweeping.add(task)
        task.add_done_callback(self._swept)

    def _swept(self, task: asyncio.Task[None]) -> None:
        self._sweeping.discard(task)
        self._sweep_slots.release()

    def _due(self, now: float) -> Iterator[ActiveActor | None]:
        """Pop the deadlines that have come, one by one; the idle actors they still belong to,
        and None after every ``POP_AT_ONCE`` stale ones in a row (each turn leaves the actor's
        previous deadline stale: after many turns, runs of thousands)."""
        stale = 0
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, _, key = heapq.heappop(self._deadlines)
            actor = self._actors.get(key)
            if actor is not None and actor.deadline == deadline and not actor.lock.busy:
                stale = 0
                yield actor
            else:
                stale += 1
                if stale == self.POP_AT_ONCE:
                    stale = 0
                    yield None

    async def _sleep(self, deadline: float | None) -> None:
        self._sleeping_until = deadline
        try:
            await sleep_until_or_woken(self.clock, deadline, self._wakeup)
        finally:
            self._sleeping_until = None

    async def deactivate(self, actor: ActiveActor) -> None:
        """Close the actor's lock, tell the app, forget the actor (daprd's order, §3.4)."""
        key = (actor.actor_type, actor.actor_id)
        if self._actors.get(key) is not actor or key in self._leaving:
            return
        actor.lock.close()
        done = self._leaving[key] = asyncio.Event()
        try:
            await self._deactivate(*key)
        except Exception:
            log.exception("deactivating actor %s/%s failed", *key)
        finally:
            self._actors.pop(key, None)
            if self._deactivated is not None:  # before a new turn here can activate it again
                try:
                    await self._deactivated(*key)
                except Exception:
                    log.exception("recording actor %s/%s as deactivated failed", *key)
            self._leaving.pop(key, None)
            done.set()

    async def hand_over(self, actor_type: str, actor_id: str) -> None:
        """Deactivate an actor placement moved to another sidecar, once its calls here end (or
        its type's ``drainOngoingCallTimeout`` passes), as daprd halts it."""
        actor = self._actors.get((actor_type, actor_id))
        if actor is not None and (actor_type, actor_id) not in self._draining:
            await self._drain(actor)

    def active(self) -> list[Key]:
        return list(self._actors)

    async def evict(self, actor_type: str, actor_id: str) -> None:
        """Deactivate an idle actor this sidecar no longer owns (placement moved it)."""
        actor = self._actors.get((actor_type, actor_id))
        if actor is not None and not actor.lock.busy:
            await self.deactivate(actor)

    async def stop(self) -> None:
        """Stop the deadline task; deactivate every active actor once its call ends.

        An actor in a call gets its type's ``drainOngoingCallTimeout`` to finish it first.
        """
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.gather(*self._sweeping, return_exceptions=True)  # DELETEs under way end
        await asyncio.gather(*(self._drain(a) for a in list(self._actors.values())))

    async def _drain(self, actor: ActiveActor) -> None:
        key = (actor.actor_type, actor.actor_id)
        if actor.lock.busy:
            idle = self._draining[key] = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(idle.wait(), self.config(actor.actor_type).drain_timeout)
            self._draining.pop(key, None)
        await self.deactivate(actor)
