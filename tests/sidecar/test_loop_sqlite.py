"""LoopSqlite: inline when the file is free, waits off the loop while another writer holds it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sidecar._sqlite import LoopSqlite

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT);"


async def test_write_waits_for_another_writer_without_blocking_the_loop(tmp_path: Path) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    other.execute("INSERT INTO t VALUES ('a', 'other')")
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    beating = asyncio.create_task(heartbeat())
    writing = asyncio.create_task(db.execute("INSERT INTO t VALUES ('b', 'mine')"))
    await asyncio.sleep(0.2)
    assert not writing.done()  # waiting for the lock...
    assert ticks >= 10  # ...without stalling the event loop
    threading.Thread(target=lambda: other.execute("COMMIT")).start()
    async with asyncio.timeout(5):
        _, count = await writing
    assert count == 1
    rows, _ = await db.execute("SELECT k, v FROM t ORDER BY k")
    assert rows == [("a", "other"), ("b", "mine")]
    beating.cancel()
    other.close()
    await db.close()
