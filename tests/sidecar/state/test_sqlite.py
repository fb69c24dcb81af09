"""What only the sqlite store promises: contrib's schema, persistence, WAL, expired-row cleanup."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sidecar.clock import ManualClock
from sidecar.state import SqliteStateStore, SqlTables, Upsert


async def test_writes_survive_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    async with SqliteStateStore("s", path, ManualClock()) as store:
        etag = await store.set(Upsert("k", b'{"a":1}'))
    async with SqliteStateStore("s", path, ManualClock()) as store:
        item = await store.get("k")
    assert item is not None and (item.value, item.etag) == (b'{"a":1}', etag)


async def test_schema_and_rows_match_contrib(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    clock = ManualClock(1_800_000_000.0)
    async with SqliteStateStore("s", str(path), clock, tables=SqlTables("custom")) as store:
        await store.set(Upsert("k", b'"v"', ttl_seconds=60))
        await store.set(Upsert("b", b"\x00\xff"))
        # a second connection sees the row: it was committed before set() returned
        with sqlite3.connect(path) as other:
            rows = other.execute(
                "SELECT key, value, is_binary, expiration_time FROM custom ORDER BY key"
            ).fetchall()
            mode = other.execute("PRAGMA journal_mode").fetchone()[0]
            version = other.execute("SELECT value FROM metadata WHERE key='migrations'").fetchone()
        other.close()
    assert rows == [("b", "AP8=", 1, None), ("k", '"v"', 0, "2027-01-15 08:01:00")]
    assert (mode, version) == ("wal", ("1",))


async def test_disable_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with SqliteStateStore("s", str(path), ManualClock(), disable_wal=True):
        with sqlite3.connect(path) as other:
            mode = other.execute("PRAGMA journal_mode").fetchone()[0]
        other.close()
    assert mode == "delete"


async def test_shared_memory_database(tmp_path: Path) -> None:
    async with SqliteStateStore("s", "file::memory:?cache=shared", ManualClock()) as store:
        await store.set(Upsert("k", b"1"))
        assert await store.get("k") is not None


async def test_cleanup_task_purges_expired_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    clock = ManualClock()
    async with SqliteStateStore(
        "s", str(path), clock, tables=SqlTables(cleanup_interval=60)
    ) as store:
        purged = asyncio.Event()
        original = store.purge_expired

        async def purge_and_tell() -> int:
            count = await original()
            purged.set()
            return count

        store.purge_expired = purge_and_tell  # type: ignore[method-assign]
        await store.set(Upsert("k", b"1", ttl_seconds=1))
        await asyncio.sleep(0)  # let the cleanup task start waiting on the clock
        clock.advance(61)
        async with asyncio.timeout(5):
            await purged.wait()
    assert _count(path) == 0


async def test_cleanup_keeps_running_after_a_failed_purge(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    clock = ManualClock()
    store = SqliteStateStore(
        "s", str(path), clock, tables=SqlTables(cleanup_interval=60), busy_timeout=0.05
    )
    async with store:
        failed, purged = asyncio.Event(), asyncio.Event()
        original = store.purge_expired

        async def purge_and_tell() -> int:
            try:
                count = await original()
            except Exception:
                failed.set()
                raise
            purged.set()
            return count

        store.purge_expired = purge_and_tell  # type: ignore[method-assign]
        await store.set(Upsert("k", b"1", ttl_seconds=1))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock: purge fails
        await asyncio.sleep(0)  # let the cleanup task start waiting on the clock
        clock.advance(61)
        async with asyncio.timeout(5):
            await failed.wait()
        other.execute("ROLLBACK")
        other.close()
        clock.advance(61)
        async with asyncio.timeout(5):
            await purged.wait()
    assert _count(path) == 0


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        count: int = conn.execute("SELECT count(*) FROM state").fetchone()[0]
    conn.close()
    return count
