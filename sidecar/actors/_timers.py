"""Actor timers: in memory only, keyed ``{type}||{id}||{name}`` (dapr-sidecar.md §2.5).

The next tick is the previous *scheduled* tick plus the period, computed after the callback
returns, so a timer never overlaps itself. Callback failures are logged and the timer goes on.
It ends when its repetitions or its ttl run out, or when it is deleted or replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .. import gojson
from ..clock import Clock, utc
from ..timefmt import IsoDuration, TimeFormatError, parse_actor_due_time, parse_timer_period

log = logging.getLogger(__name__)

Fire = Callable[[str, str, str, bytes], Awaitable[None]]


class TimerSpecError(ValueError):
    """The timer request cannot make a timer; the message is Dapr's."""


@dataclass(frozen=True)
class TimerSpec:
    """A timer as registered, resolved against its registration time."""

    callback: str
    data: str | None  # raw JSON text
    due_time: str
    period: str
    first: float
    interval: IsoDuration | timedelta | None
    repeats: int | None
    expiry: float | None

    def body(self) -> bytes:
        data = self.data if self.data is not None else "null"
        callback, due, period = (
            gojson.string(v) for v in (self.callback, self.due_time, self.period)
        )
        return f'{{"data":{data},"callback":{callback},"dueTime":{due},"period":{period}}}'.encode()


def _parse(what: str, parse: Callable[[], Any]) -> Any:
    try:
        return parse()
    except TimeFormatError as exc:
        zero = str(exc) == "has zero repetitions"  # daprd's own check, not a parse error
        raise TimerSpecError(f"{what}{'' if zero else ' parse error:'} {exc}") from exc


def parse_timer(body: dict[str, Any], now: float, key: str) -> TimerSpec:
    """Validate a create-timer body for timer ``key`` (``type||id||name``) the way daprd does;
    raises TimerSpecError with daprd's texts (recorded from daprd 1.18.3)."""
    due_time, period, ttl = (_text(body, k) for k in ("dueTime", "period", "ttl"))
    try:
        first = parse_actor_due_time(due_time, utc(now)).timestamp()
    except TimeFormatError as exc:
        raise TimerSpecError(f"error parsing timer due time: {exc}") from exc
    interval, repeats = (
        _parse("invalid timer period:", lambda: parse_timer_period(period))
        if period
        else (None, None)
    )
    expiry = _parse("error parsing timer TTL:", lambda: _ttl(ttl, first)) if ttl else None
    if expiry is not None and expiry < now:
        due = gojson_time(first)
        raise TimerSpecError(f"timer {key} has already expired: dueTime: {due} TTL: {ttl}")
    data = body.get("data")
    raw = None if data is None else gojson.dumps(data)
    callback = body.get("callback") if isinstance(body.get("callback"), str) else ""
    return TimerSpec(str(callback), raw, due_time, period, first, interval, repeats, expiry)


def _ttl(ttl: str, first: float) -> float:
    return parse_actor_due_time(ttl, utc(first)).timestamp()


def gojson_time(instant: float) -> str:
    """Go's ``time.Time.String()`` in UTC: nanoseconds without trailing zeros."""
    text = utc(instant).strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".")
    return f"{text} +0000 UTC"


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def next_fire(spec: TimerSpec, previous: float, count: int) -> float | None:
    """The tick after ``previous`` once ``count`` ticks are done; None when the timer is over."""
    if spec.interval is None or (spec.repeats is not None and count >= spec.repeats):
        return None
    if isinstance(spec.interval, IsoDuration):
        nxt = spec.interval.add_to(utc(previous)).timestamp()
    else:
        nxt = previous + spec.interval.total_seconds()
    if spec.expiry is not None and nxt > spec.expiry:
        return None
    return nxt


class Timers:
    """The running timers of this sidecar, each an asyncio task."""

    def __init__(self, clock: Clock, fire: Fire) -> None:
        self.clock = clock
        self._fire = fire
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._firing: set[asyncio.Task[None]] = set()

    def create(self, actor_type: str, actor_id: str, name: str, spec: TimerSpec) -> None:
        key = f"{actor_type}||{actor_id}||{name}"
        self._cancel(key)
        task = asyncio.create_task(self._run(key, actor_type, actor_id, name, spec), name=key)
        self._tasks[key] = task

    def delete(self, actor_type: str, actor_id: str, name: str) -> None:
        self._cancel(f"{actor_type}||{actor_id}||{name}")

    def _cancel(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is not None and task not in self._firing:
            task.cancel()  # a task mid-callback finishes it, then sees it was replaced and ends

    def __contains__(self, key: str) -> bool:
        return key in self._tasks

    async def _run(
        self, key: str, actor_type: str, actor_id: str, name: str, spec: TimerSpec
    ) -> None:
        tick: float | None = spec.first
        count = 0
        try:
            while tick is not None:
                while self.clock.now() < tick:
                    await self.clock.sleep_until(tick)
                await self._attempt(actor_type, actor_id, name, spec)
                if self._tasks.get(key) is not asyncio.current_task():
                    return
                count += 1
                tick = next_fire(spec, tick, count)
        finally:
            if self._tasks.get(key) is asyncio.current_task():
                del self._tasks[key]

    async def _attempt(self, actor_type: str, actor_id: str, name: str, spec: TimerSpec) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._firing.add(task)
        try:
            await self._fire(actor_type, actor_id, name, spec.body())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("timer %s on actor %s/%s failed: %s", name, actor_type, actor_id, exc)
        finally:
            self._firing.discard(task)

    async def stop(self) -> None:
        tasks = list(self._tasks.values()) + list(self._firing)
        self._tasks.clear()
        self._firing.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
