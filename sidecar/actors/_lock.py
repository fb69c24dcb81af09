"""The per-actor turn lock: one turn at a time, FIFO, with Dapr's reentrancy rule (§3.6).

A turn is identified by a reentrancy id. While a turn holds the lock, a request carrying the same
id enters at once (depth + 1) instead of queueing; beyond ``max_depth`` nested entries it fails
with ``StackDepthError``. ``None`` ids never re-enter: every such request is a new turn.

At most ``MAX_WAITERS`` requests queue for one actor; one more fails at once with
``TurnQueueFullError`` (a documented bound; daprd's queue has none). A queued request waits until
its turn or until its caller hangs up (the request is then cancelled).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class StackDepthError(Exception):
    """The reentrant call chain is deeper than the actor type allows."""

    def __init__(self) -> None:
        super().__init__("maximum stack depth exceeded")


MAX_WAITERS = 1_000


class TurnQueueFullError(Exception):
    """Too many requests already wait for this actor's turn."""

    def __init__(self) -> None:
        super().__init__(f"{MAX_WAITERS} requests are already waiting for this actor's turn")


class LockClosedError(Exception):
    """The actor was deactivated while the request waited; it must look the actor up again."""


class TurnLock:
    """FIFO lock with reentrancy by id. ``busy`` tells whether a turn is running or queued."""

    __slots__ = ("_depth", "_holder", "_waiters", "closed", "on_idle")  # one per active actor

    def __init__(self, on_idle: Callable[[], None] | None = None) -> None:
        self.on_idle = on_idle  # called whenever the lock ends up free with nobody waiting
        self._holder: str | None = None
        self._depth = 0
        # made on the first wait: most actors never queue, and an empty deque is 600 bytes
        self._waiters: collections.deque[tuple[str | None, asyncio.Future[None]]] | None = None
        self.closed = False

    @property
    def busy(self) -> bool:
        return self._depth > 0 or bool(self._waiters)

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def waiting(self) -> int:
        return len(self._waiters or ())

    @asynccontextmanager
    async def turn(self, reentrancy_id: str | None, max_depth: int) -> AsyncIterator[None]:
        await self.acquire(reentrancy_id, max_depth)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, reentrancy_id: str | None, max_depth: int) -> None:
        if self.closed:
            raise LockClosedError()
        if self._reenters(reentrancy_id):
            if self._depth >= max_depth:
                raise StackDepthError()
            self._depth += 1
            return
        if self._depth == 0 and not self._waiters:
            self._grant(reentrancy_id)
            return
        await self._wait(reentrancy_id)

    def _reenters(self, reentrancy_id: str | None) -> bool:
        return reentrancy_id is not None and self._depth > 0 and reentrancy_id == self._holder

    def _grant(self, reentrancy_id: str | None) -> None:
        self._holder = reentrancy_id
        self._depth = 1

    async def _wait(self, reentrancy_id: str | None) -> None:
        if self._waiters is None:
            self._waiters = collections.deque()
        if len(self._waiters) >= MAX_WAITERS:
            raise TurnQueueFullError()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (reentrancy_id, future)
        waiters = self._waiters
        waiters.append(entry)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.release()  # granted just as we were cancelled: pass the turn on
            else:
                with contextlib.suppress(ValueError):
                    waiters.remove(entry)
            raise
        if self.closed:
            self.release()
            raise LockClosedError()

    def release(self) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        self._holder = None
        while self._waiters:
            reentrancy_id, future = self._waiters.popleft()
            if not future.done():
                self._grant(reentrancy_id)
                future.set_result(None)
                return
        if self.on_idle is not None and not self.closed:
            self.on_idle()

    def close(self) -> None:
        """Refuse new turns; queued requests wake, pass the lock on, and raise LockClosedError."""
        self.closed = True
