"""LoopSqlite: inline when the file is free, waits off the loop while another writer holds it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from sidecar.loop_sqlite import LoopSqlite

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT);"


async def test_write_waits_for_another_writer_without_blocking_the_loop(tmp_path: Path) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    other.execute("INSERT INTO t VALUES ('a', 'other')")
    ticks = 0
    ten_ticks = asyncio.Event()

    async def heartbeat() -> None:  # the loop keeps turning while the write waits
        nonlocal ticks
        while True:
            ticks += 1
            if ticks == 10:
                ten_ticks.set()
            await asyncio.sleep(0.01)

    writing = asyncio.create_task(db.execute("INSERT INTO t VALUES ('b', 'mine')"))
    beating = asyncio.create_task(heartbeat())
    async with asyncio.timeout(10):
        await ten_ticks.wait()  # ten turns of the loop went by...
    assert not writing.done()  # ...while the write still waits for the lock
    threading.Thread(target=lambda: other.execute("COMMIT")).start()
    async with asyncio.timeout(5):
        _, count = await writing
    assert count == 1
    rows, _ = await db.execute("SELECT k, v FROM t ORDER BY k")
    assert rows == [("a", "other"), ("b", "mine")]
    beating.cancel()
    other.close()
    await db.close()


async def test_checkpoints_run_on_the_worker_thread_never_inline(tmp_path: Path) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    db.CHECKPOINT_EVERY = 10
    await db.open(SCHEMA)
    assert db._fast is not None
    assert db._fast.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    threads: list[str] = []
    run = db._run_checkpoint

    def spy() -> object:
        threads.append(threading.current_thread().name)
        return run()

    db._run_checkpoint = spy  # type: ignore[method-assign]
    for i in range(25):
        await db.execute("INSERT INTO t VALUES (?, 'v')", (str(i),))
    if db._checkpoint is not None:
        await db._checkpoint
    assert threads and all(t.startswith("sqlite x.db") for t in threads)
    await db.close()


async def test_transaction_commits_on_return_and_rolls_back_on_raise(tmp_path: Path) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)

    def both(conn: sqlite3.Connection, first: str, second: str) -> str:
        conn.execute("INSERT INTO t VALUES (?, '')", (first,))
        conn.execute("INSERT INTO t VALUES (?, '')", (second,))
        return threading.current_thread().name

    def half(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES ('c', '')")
        raise ValueError("refused")

    assert (await db.transaction(both, "a", "b")).startswith("sqlite x.db")
    with pytest.raises(ValueError, match="refused"):
        await db.transaction(half)
    rows, _ = await db.execute("SELECT k FROM t ORDER BY k")
    assert rows == [("a",), ("b",)]
    await db.close()


async def test_statements_meanwhile_see_nothing_of_a_transaction_and_writes_wait(
    tmp_path: Path,
) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)
    inside, release = threading.Event(), threading.Event()

    def held(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES ('a', 'transaction')")
        inside.set()
        release.wait(10)

    transaction = asyncio.create_task(db.transaction(held))
    assert await asyncio.to_thread(inside.wait, 10)
    rows, _ = await db.execute("SELECT k, v FROM t")  # inline: the last committed state
    assert rows == []
    write = asyncio.create_task(db.execute("INSERT OR REPLACE INTO t VALUES ('a', 'after')"))
    await asyncio.sleep(0)
    assert not write.done()  # it cannot get the write lock before the transaction ends
    release.set()
    async with asyncio.timeout(10):
        await transaction
        await write
    rows, _ = await db.execute("SELECT k, v FROM t")
    assert rows == [("a", "after")]
    await db.close()
