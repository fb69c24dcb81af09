"""One SQLite quirk shared by the registry and the stores.

Switching a new database file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at
once, without its busy handler, when another process is switching the same file at that moment.
Two sidecars started together on a fresh runtime home hit this; so the switch is retried briefly.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
ATTEMPTS = 250
PAUSE = 0.02  # seconds; 250 x 20 ms = 5 s at most


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def set_journal_mode(conn: sqlite3.Connection, mode: str = "WAL") -> None:
    """``PRAGMA journal_mode``, retried while another connection holds the switch lock."""
    for attempt in range(ATTEMPTS):
        try:
            conn.execute(f"PRAGMA journal_mode = {mode}")
            return
        except sqlite3.OperationalError as exc:
            if not _locked(exc) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(PAUSE)


Rows = list[tuple[Any, ...]]


class LoopSqlite:
    """SQLite for an event loop: short statements run inline, busy ones on a waiting thread.

    A single-row statement on a WAL database takes tens of microseconds, less than handing it to a
    thread and back (about 150 us on two cores). So each statement first runs inline on a
    connection that never waits (``busy_timeout=0``); only when another connection (another
    sidecar process) holds the write lock is it run again on a worker thread, on a connection that
    waits up to ``busy_timeout``. A statement refused as busy changed nothing, so the retry is safe.
    Every statement autocommits: when ``execute`` returns, the write is in the write-ahead log. It
    then survives the death of any process; under ``synchronous=NORMAL`` an OS crash or power loss
    can lose writes since the last checkpoint, under ``FULL`` (an fsync per write) it cannot.

    WAL checkpoints (copying the log back into the database, tens of milliseconds) never run on
    the event loop: automatic checkpoints are off on the inline connection, and every
    ``CHECKPOINT_EVERY`` writes a passive checkpoint runs on the worker thread.
    """

    CHECKPOINT_EVERY = 1000  # writes; SQLite's own automatic checkpoint is at 1000 pages

    def __init__(
        self, path: Path, *, busy_timeout_ms: int = 10_000, synchronous: str = "NORMAL"
    ) -> None:
        self.path = path
        self.synchronous = synchronous
        self.busy_timeout_ms = busy_timeout_ms
        self._fast: sqlite3.Connection | None = None
        self._slow: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"sqlite {path.name}")
        self._writes = 0
        self._checkpoint: asyncio.Future[Any] | None = None

    def _connect(self, busy_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
        return conn

    async def open(self, schema: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._slow = await loop.run_in_executor(self._thread, self._connect, self.busy_timeout_ms)
        await loop.run_in_executor(self._thread, set_journal_mode, self._slow, "WAL")
        await loop.run_in_executor(self._thread, self._slow.executescript, schema)
        self._fast = self._connect(0)
        self._fast.execute("PRAGMA wal_autocheckpoint = 0")
        for conn in (self._fast, self._slow):
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")

    async def close(self) -> None:
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        for conn in (self._fast, self._slow):
            if conn is not None:
                conn.close()
        self._fast = self._slow = None
        self._thread.shutdown(wait=True)

    async def execute(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Rows, int]:
        """(rows, rowcount) of one statement."""
        if self._fast is None or self._slow is None:
            raise RuntimeError(f"{self.path} is not open")
        try:
            result = _run(self._fast, sql, args)
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                raise
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self._thread, _run, self._slow, sql, args)
        if result[1] > 0:
            self._wrote()
        return result

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes >= self.CHECKPOINT_EVERY and self._checkpoint is None:
            self._writes = 0
            loop = asyncio.get_running_loop()
            self._checkpoint = loop.run_in_executor(self._thread, self._run_checkpoint)
            self._checkpoint.add_done_callback(self._checkpointed)

    def _run_checkpoint(self) -> Any:
        assert self._slow is not None
        return self._slow.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def _checkpointed(self, future: asyncio.Future[Any]) -> None:
        self._checkpoint = None
        if not future.cancelled() and future.exception() is not None:
            log.warning("WAL checkpoint of %s failed: %s", self.path, future.exception())


def _run(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> tuple[Rows, int]:
    cursor = conn.execute(sql, args)
    rows = cursor.fetchall()
    return rows, cursor.rowcount
