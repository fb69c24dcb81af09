from __future__ import annotations

import asyncio

import pytest

from sidecar.clock import DevClock, ManualClock


async def test_manual_clock_sleeper_wakes_when_advanced_past_deadline() -> None:
    clock = ManualClock(start=100.0)
    sleeper = asyncio.create_task(clock.sleep_until(150.0))
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.advance(60)
    async with asyncio.timeout(1):
        await sleeper
    assert clock.now() == 160.0


def test_clocks_refuse_to_go_back() -> None:
    with pytest.raises(ValueError):
        ManualClock(start=10).set(5)
    with pytest.raises(ValueError):
        DevClock().advance(-1)


async def test_dev_clock_advance_wakes_long_sleep() -> None:
    clock = DevClock()
    sleeper = asyncio.create_task(clock.sleep_until(clock.now() + 3600))
    await asyncio.sleep(0)
    clock.advance(7200)
    async with asyncio.timeout(1):
        await sleeper


def test_forwarded_calls_need_the_home_key() -> None:
    from sidecar.forwarding import INTERNAL_HEADER, is_forwarded

    assert is_forwarded({INTERNAL_HEADER: "k3y"}, "k3y")
    assert not is_forwarded({INTERNAL_HEADER: "k3"}, "k3y")
    assert not is_forwarded({}, "k3y")
    assert not is_forwarded({INTERNAL_HEADER: ""}, "")  # no key configured: nothing matches
