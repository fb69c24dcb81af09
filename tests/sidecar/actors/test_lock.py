"""The turn lock: FIFO order, reentrancy by id, depth limit, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from sidecar.actors import _lock
from sidecar.actors._lock import LockClosedError, StackDepthError, TurnLock, TurnQueueFullError


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_turns_are_granted_in_arrival_order() -> None:
    lock = TurnLock()
    order: list[int] = []
    await lock.acquire(None, 32)

    async def waiter(n: int) -> None:
        async with lock.turn(None, 32):
            order.append(n)

    tasks = [asyncio.create_task(waiter(n)) for n in range(5)]
    await _settle()
    assert order == [] and lock.busy
    lock.release()
    async with asyncio.timeout(1):
        await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert not lock.busy


async def test_same_reentrancy_id_enters_and_other_ids_queue() -> None:
    lock = TurnLock()
    await lock.acquire("a", 32)
    await lock.acquire("a", 32)
    assert lock.depth == 2
    other = asyncio.create_task(lock.acquire("b", 32))
    await _settle()
    assert not other.done()
    lock.release()
    await _settle()
    assert not other.done()
    lock.release()
    async with asyncio.timeout(1):
        await other
    assert lock.depth == 1


async def test_none_never_reenters() -> None:
    lock = TurnLock()
    await lock.acquire(None, 32)
    second = asyncio.create_task(lock.acquire(None, 32))
    await _settle()
    assert not second.done()
    second.cancel()
    await _settle()
    lock.release()
    assert not lock.busy


async def test_depth_limit() -> None:
    lock = TurnLock()
    for _ in range(3):
        await lock.acquire("a", 3)
    with pytest.raises(StackDepthError):
        await lock.acquire("a", 3)
    assert lock.depth == 3


async def test_cancelled_waiter_does_not_block_the_queue() -> None:
    lock = TurnLock()
    await lock.acquire(None, 32)
    gone = asyncio.create_task(lock.acquire(None, 32))
    kept = asyncio.create_task(lock.acquire(None, 32))
    await _settle()
    gone.cancel()
    await _settle()
    lock.release()
    async with asyncio.timeout(1):
        await kept
    assert lock.depth == 1


async def test_closed_lock_refuses_and_wakes_waiters() -> None:
    lock = TurnLock()
    await lock.acquire(None, 32)
    waiting = asyncio.create_task(lock.acquire(None, 32))
    await _settle()
    lock.close()
    lock.release()
    with pytest.raises(LockClosedError):
        async with asyncio.timeout(1):
            await waiting
    with pytest.raises(LockClosedError):
        await lock.acquire(None, 32)
    assert not lock.busy


async def test_queue_is_bounded_and_a_full_queue_refuses_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_lock, "MAX_WAITERS", 2)
    lock = TurnLock()
    await lock.acquire(None, 32)
    waiters = [asyncio.create_task(lock.acquire(None, 32)) for _ in range(2)]
    await _settle()
    with pytest.raises(TurnQueueFullError, match="2 requests are already waiting"):
        await lock.acquire(None, 32)
    lock.release()
    await waiters[0]
    lock.release()
    await waiters[1]
    lock.release()
    assert not lock.busy
