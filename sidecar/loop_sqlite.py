"""SQLite for an event loop: the one access layer of the job store, state store and registry.

A single-row statement on a WAL database takes tens of microseconds, less than handing it to a
thread and back (about 150 us on two cores). So each statement first runs inline on a connection
that never waits (``busy_timeout=0``); only when another connection holds the lock it needs (the
worker thread in a transaction, another sidecar process) is it run again on a worker thread, on a
connection that waits up to ``busy_timeout``. A statement refused as busy changed nothing, so the
retry is safe. A transaction is a function run on the worker thread between ``BEGIN IMMEDIATE``
and ``COMMIT``, so it never blocks the loop and nothing interleaves with it.

Writes sent with ``write`` by coroutines of one turn of the event loop (16 clients' creates,
a wave of finished deliveries) commit together as one transaction: each caller resumes once its
write is committed, as with ``execute``, and the file sees one commit instead of many.

Switching a new database file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at
once, without its busy handler, when another process is switching the same file at that moment.
Two sidecars started together on a fresh runtime home hit this; so the switch is retried briefly.
The same moment, or another process checkpointing the file as it closes, holds the whole file
while a connection sets its pragmas (they read the schema): both connections are set up on the
worker thread, waiting as the worker's statements do, and only then does the inline one stop
waiting.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
ATTEMPTS = 250
PAUSE = 0.02  # seconds; 250 x 20 ms = 5 s at most
T = TypeVar("T")


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
    """One SQLite database for coroutines: statements inline, transactions on a worker thread.

    ``path`` is a file path or a ``file:`` URI. ``journal_mode`` (WAL unless asked otherwise) is
    set once at ``open``; ``synchronous`` and ``pragmas`` (``"name = value"``) on both connections.
    ``inline=False`` keeps to the worker thread's connection alone (a memory database: a second
    connection would be a second database, or share its cache under table locks that never wait).
    Every statement outside ``transaction`` autocommits: when ``execute`` returns, the write is in
    the write-ahead log. It then survives the death of any process; under ``synchronous=NORMAL``
    an OS crash or power loss can lose writes since the last checkpoint, under ``FULL`` (an fsync
    per write) it cannot.

    WAL checkpoints (copying the log back into the database, tens of milliseconds) never run on
    the event loop: automatic checkpoints are off on the inline connection, and every
    ``CHECKPOINT_EVERY`` writes a passive checkpoint runs on the worker thread. Passive ones
    never make a busy writer start the log over, so once it holds ``WAL_RESTART_FRAMES`` frames
    the checkpoint is a RESTART: the log stays bounded, and so does its replay on reopening.
    """

    CHECKPOINT_EVERY = 1000  # writes; SQLite's own automatic checkpoint is at 1000 pages
    WAL_RESTART_FRAMES = 8192  # log frames (32 MiB of 4 KiB pages) that make the next one RESTART

    def __init__(
        self,
        path: str | Path,
        *,
        name: str = "",
        busy_timeout_ms: int = 10_000,
        synchronous: str = "NORMAL",
        journal_mode: str = "WAL",
        pragmas: Sequence[str] = (),
        inline: bool = True,
    ) -> None:
        self.path = path
        self.inline = inline
        self.name = name or Path(path).name
        self.synchronous = synchronous
        self.busy_timeout_ms = busy_timeout_ms
        self.journal_mode = journal_mode
        self.pragmas = tuple(pragmas)
        self._fast: sqlite3.Connection | None = None
        self._slow: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._writes = 0
        self._checkpoint: asyncio.Future[Any] | None = None
        self._batch: list[_Write] = []

    def _connect(self) -> sqlite3.Connection:
        """A connection with the pragmas set. Setting them reads the schema, which waits (up to
        ``busy_timeout``) while another process holds the whole file: switching it to WAL, or
        checkpointing it as its last connection closes."""
        uri = str(self.path).lower().startswith("file:")
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, uri=uri)
        conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        for pragma in (f"synchronous = {self.synchronous}", *self.pragmas):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def _open_slow(self, schema: str) -> sqlite3.Connection:
        conn = self._connect()
        set_journal_mode(conn, self.journal_mode)
        conn.executescript(schema)
        return conn

    def _open_fast(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA busy_timeout = 0")  # from here on its statements never wait
        return conn

    async def open(self, schema: str = "") -> None:
        """Connect, switch the journal mode and run ``schema`` (a script) on the worker thread."""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"sqlite {self.name}")
        self._slow = await self._on_thread(self._open_slow, schema)
        if self.inline:
            self._fast = await self._on_thread(self._open_fast)

    async def close(self) -> None:
        """Close both connections; calling it again, or before ``open``, does nothing."""
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        for conn in (self._fast, self._slow):
            if conn is not None:
                conn.close()
        self._fast = self._slow = None
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> tuple[Rows, int]:
        """(rows, rowcount) of one statement."""
        if self._fast is None:
            result = await self.run(_run, sql, args)
        else:
            try:
                result = _run(self._fast, sql, args)
            except sqlite3.OperationalError as exc:
                if not _locked(exc):
                    raise
                result = await self.run(_run, sql, args)
        if result[1] > 0:
            self._wrote()
        return result

    async def write(self, sql: str, args: Sequence[Any] = ()) -> tuple[Rows, int]:
        """``execute`` for a write, committed together with the other writes sent in the same
        turn of the event loop (group commit); one statement's error fails only its caller."""
        if self._fast is None:
            return await self.execute(sql, args)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[Rows, int]] = loop.create_future()
        self._batch.append((sql, args, future))
        if len(self._batch) == 1:
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        try:
            results = self._inline(batch)
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                return _fail(batch, exc)
            # another writer holds the file: the batch waits for it on the worker thread
            waiting = asyncio.ensure_future(self.run(_in_transaction, _run_each, batch))
            waiting.add_done_callback(lambda done: self._finish(batch, done))
            return None
        except Exception as exc:  # noqa: BLE001 - no caller may be left waiting
            return _fail(batch, exc)
        self._deliver(batch, results)
        return None

    def _inline(self, batch: list[_Write]) -> list[_Result]:
        if self._fast is None:
            raise RuntimeError(f"{self.name} is not open")
        if len(batch) == 1:  # alone: autocommit, no BEGIN and COMMIT to pay for
            return _run_each(self._fast, batch)
        return _in_transaction(self._fast, _run_each, batch)

    def _finish(self, batch: list[_Write], done: asyncio.Future[list[_Result]]) -> None:
        if done.cancelled():
            return _fail(batch, asyncio.CancelledError())
        if (exc := done.exception()) is not None:
            return _fail(batch, exc)
        return self._deliver(batch, done.result())

    def _deliver(self, batch: list[_Write], results: list[_Result]) -> None:
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
                continue
            future.set_result(result)
            if result[1] > 0:
                self._wrote()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` on the worker thread, outside any transaction."""
        if self._slow is None:
            raise RuntimeError(f"{self.name} is not open")
        return await self._on_thread(fn, self._slow, *args)

    async def transaction(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` on the worker thread as one transaction (``BEGIN IMMEDIATE``):
        committed when it returns, rolled back when it raises."""
        result: T = await self.run(_in_transaction, fn, *args)
        self._wrote()
        return result

    async def _on_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes >= self.CHECKPOINT_EVERY and self._checkpoint is None:
            self._writes = 0
            loop = asyncio.get_running_loop()
            self._checkpoint = loop.run_in_executor(self._thread, self._run_checkpoint)
            self._checkpoint.add_done_callback(self._checkpointed)

    def _run_checkpoint(self) -> Any:
        """A passive checkpoint; when the log has grown past ``WAL_RESTART_FRAMES``, a RESTART
        one, so the next writer starts the log over (writers meanwhile wait on this thread)."""
        assert self._slow is not None
        result = self._slow.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if result is not None and result[1] > self.WAL_RESTART_FRAMES:
            result = self._slow.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        return result

    def _checkpointed(self, future: asyncio.Future[Any]) -> None:
        self._checkpoint = None
        if not future.cancelled() and future.exception() is not None:
            log.warning("WAL checkpoint of %s failed: %s", self.path, future.exception())


_Write = tuple[str, Sequence[Any], "asyncio.Future[tuple[Rows, int]]"]
_Result = tuple[Rows, int] | Exception


def _run_each(conn: sqlite3.Connection, batch: list[_Write]) -> list[_Result]:
    """Every statement of ``batch`` in the open transaction; a failed one (a constraint) is
    rolled back alone, as SQLite does for a statement, and its error is its result."""
    results: list[_Result] = []
    for sql, args, _ in batch:
        try:
            results.append(_run(conn, sql, args))
        except sqlite3.OperationalError as exc:
            if _locked(exc):
                raise
            results.append(exc)
        except sqlite3.DatabaseError as exc:
            results.append(exc)
    return results


def _fail(batch: list[_Write], exc: BaseException) -> None:
    for _, _, future in batch:
        if not future.done():
            future.set_exception(exc)


def _run(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> tuple[Rows, int]:
    cursor = conn.execute(sql, args)
    rows = cursor.fetchall()
    return rows, cursor.rowcount


def _in_transaction(conn: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result
