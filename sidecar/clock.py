"""The one source of time for the scheduler, actors and stores.

Times are float seconds since the Unix epoch (UTC). ``sleep_until`` may return early only when
``wake()`` is called; callers re-check ``now()`` and loop, so a wake-up never causes an early fire.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Current time, seconds since the epoch."""

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``now() >= deadline``, or earlier when the clock is moved (``wake``)."""


async def sleep_until_or_woken(clock: Clock, deadline: float | None, wakeup: asyncio.Event) -> None:
    """Return at ``deadline`` (None: never) by ``clock``, or as soon as ``wakeup`` is set."""
    waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(wakeup.wait())]
    if deadline is not None:
        waits.append(asyncio.ensure_future(clock.sleep_until(deadline)))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()  # RFC 3339's last second


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - self.now()
        if delay > 0:
            await asyncio.sleep(delay)


class _Movable:
    """Shared wake-up logic for clocks that tests (or the dev endpoint) can move."""

    def __init__(self) -> None:
        self._moved = asyncio.Event()

    def _notify(self) -> None:
        self._moved.set()
        self._moved = asyncio.Event()

    async def _sleep(self, seconds: float | None) -> None:
        moved = self._moved
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(moved.wait(), seconds)


class DevClock(_Movable):
    """Wall-clock time plus an offset that only grows: ``advance`` jumps virtual time forward."""

    def __init__(self, offset: float = 0.0) -> None:
        super().__init__()
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump forward; refused (nothing moves) when the result would pass year 9999."""
        if not seconds >= 0:
            raise ValueError("time only moves forward: seconds must be >= 0")
        if time.time() + self.offset + seconds > MAX_TIME:
            raise ValueError("the clock cannot move past 9999-12-31T23:59:59Z")
        self.offset += seconds
        self._notify()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - self.now()
        if delay > 0:
            await self._sleep(delay)


class ManualClock(_Movable):
    """Time stands still until a test calls ``advance`` or ``set``."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        super().__init__()
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self.set(self._now + seconds)

    def set(self, ts: float) -> None:
        if ts < self._now:
            raise ValueError("time only moves forward")
        self._now = ts
        self._notify()

    async def sleep_until(self, deadline: float) -> None:
        if deadline > self._now:
            await self._sleep(None)
