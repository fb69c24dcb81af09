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


async def test_opening_waits_while_another_process_holds_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process switching a new file to WAL, or checkpointing it as it closes, holds it
    exclusively for a moment. Both connections' set-up waits for that; the inline connection's
    "never wait" is for its statements only. Its set-up failed at once with "database is locked"
    in sidecars started together on a fresh home (one in a few hundred)."""
    path = tmp_path / "x.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (k TEXT)")  # rollback journal: an exclusive lock bars readers
    open_slow = LoopSqlite._open_slow

    def then_held(self: LoopSqlite, schema: str) -> sqlite3.Connection:
        conn = open_slow(self, schema)  # the worker's connection is set up: now the file is held
        other.execute("BEGIN EXCLUSIVE")
        threading.Timer(0.3, other.execute, ("COMMIT",)).start()
        return conn

    monkeypatch.setattr(LoopSqlite, "_open_slow", then_held)
    db = LoopSqlite(path, journal_mode="DELETE")
    await db.open()
    assert await db.execute("SELECT count(*) FROM t") == ([(0,)], -1)
    assert db._fast is not None
    assert db._fast.execute("PRAGMA busy_timeout").fetchone() == (0,)  # statements never wait
    await db.close()
    other.close()


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


def _commits(db: LoopSqlite) -> list[str]:
    """Records the COMMITs and autocommitted writes of ``db``'s inline connection."""
    assert db._fast is not None
    seen: list[str] = []
    db._fast.set_trace_callback(seen.append)
    return seen


async def test_writes_of_one_loop_turn_commit_as_one_transaction(tmp_path: Path) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)
    statements = _commits(db)
    writes = [db.write("INSERT INTO t VALUES (?, 'v')", (str(i),)) for i in range(20)]
    results = await asyncio.gather(*writes)
    assert results == [([], 1)] * 20
    assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 1
    rows, _ = await db.execute("SELECT COUNT(*) FROM t")
    assert rows == [(20,)]
    await db.close()


async def test_a_write_alone_autocommits_and_returns_once_stored(tmp_path: Path) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)
    statements = _commits(db)
    assert await db.write("INSERT INTO t VALUES ('a', 'v')") == ([], 1)
    assert "BEGIN IMMEDIATE" not in statements
    other = sqlite3.connect(tmp_path / "x.db")  # another process sees it at once
    assert other.execute("SELECT v FROM t WHERE k = 'a'").fetchall() == [("v",)]
    other.close()
    await db.close()


async def test_a_failing_write_fails_its_caller_alone(tmp_path: Path) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)
    await db.write("INSERT INTO t VALUES ('a', 'first')")
    ok1 = db.write("INSERT INTO t VALUES ('b', 'v')")
    dup = db.write("INSERT INTO t VALUES ('a', 'again')")  # primary key taken
    ok2 = db.write("INSERT INTO t VALUES ('c', 'v')")
    results = await asyncio.gather(ok1, dup, ok2, return_exceptions=True)
    assert results[0] == ([], 1) and results[2] == ([], 1)
    assert isinstance(results[1], sqlite3.IntegrityError)
    rows, _ = await db.execute("SELECT k, v FROM t ORDER BY k")
    assert rows == [("a", "first"), ("b", "v"), ("c", "v")]
    await db.close()


async def test_writes_wait_off_the_loop_while_another_writer_holds_the_file(
    tmp_path: Path,
) -> None:
    db = LoopSqlite(tmp_path / "x.db")
    await db.open(SCHEMA)
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    writes = asyncio.gather(*(db.write("INSERT INTO t VALUES (?, '')", (k,)) for k in "abc"))
    rows, _ = await db.execute("SELECT COUNT(*) FROM t")  # the loop is free meanwhile
    assert rows == [(0,)] and not writes.done()
    threading.Thread(target=lambda: other.execute("COMMIT")).start()
    async with asyncio.timeout(10):
        assert await writes == [([], 1)] * 3
    other.close()
    await db.close()


async def test_the_write_ahead_log_stays_bounded_under_sustained_writes(tmp_path: Path) -> None:
    """Passive checkpoints alone never let a busy writer restart the log: it grew without end
    (6.7 GB after 440,000 job creates), and reopening the file replays all of it."""
    db = LoopSqlite(tmp_path / "x.db")
    db.CHECKPOINT_EVERY = 50
    db.WAL_RESTART_FRAMES = 200
    await db.open(SCHEMA)
    wal = tmp_path / "x.db-wal"
    biggest = 0
    for i in range(4000):
        await db.execute("INSERT INTO t VALUES (?, ?)", (f"k{i}", "v" * 200))
        if i % 50 == 0:
            if db._checkpoint is not None:
                await db._checkpoint  # the checkpoint's thread keeps pace: this is not timing
            biggest = max(biggest, wal.stat().st_size)
    page = 4096 + 24  # a WAL frame: a page and its header
    assert biggest < 2 * (db.WAL_RESTART_FRAMES + 4 * db.CHECKPOINT_EVERY) * page
    await db.close()
