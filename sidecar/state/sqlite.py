"""``state.sqlite``: contrib's schema and concurrency rules on Python's sqlite3.

All SQL runs on one connection owned by a single worker thread; every public call is one job on
that thread, so a transaction never interleaves with another call. Statements outside an explicit
transaction autocommit, so a write is on disk (WAL or rollback journal) before the call returns.
Expiry compares against the injected clock, never SQLite's ``CURRENT_TIMESTAMP``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from .._clock import Clock, utc
from .._sqlite import set_journal_mode
from ._base import (
    Delete,
    EtagInvalidError,
    EtagMismatchError,
    InvalidTTLError,
    StateItem,
    StateStore,
    StoreFailedError,
    Upsert,
    parse_ttl,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
_Failures = list[EtagMismatchError | EtagInvalidError] | None
_TS = "%Y-%m-%d %H:%M:%S"
_CHUNK = 500


def _ts(epoch: float) -> str:
    return utc(math.floor(epoch)).strftime(_TS)


def _epoch(text: str | None) -> float | None:
    if text is None:
        return None
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC).timestamp()


class SqliteStateStore(StateStore):
    """contrib ``state.sqlite``: ``key, value, is_binary, etag, expiration_time, update_time``.

    ``path`` is a file path, ``:memory:`` or a ``file:`` URI. ``pragmas`` are extra ``name(value)``
    pragmas (from the connection string's ``_pragma``). ``cleanup_interval`` > 0 starts a task
    that deletes expired rows every that many (clock) seconds.
    """

    component_type = "state.sqlite"
    features = ("ETAG", "TRANSACTIONAL", "TTL", "KEYS_LIKE")  # as daprd 1.18.3 lists them

    def __init__(
        self,
        name: str,
        path: str,
        clock: Clock,
        *,
        table: str = "state",
        metadata_table: str = "metadata",
        actor_state_store: bool = False,
        busy_timeout: float = 2.0,
        disable_wal: bool = False,
        cleanup_interval: float = 0.0,
        pragmas: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.actor_state_store = actor_state_store
        self.path = path
        self.table = table
        self.metadata_table = metadata_table
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._disable_wal = disable_wal
        self._cleanup_interval = cleanup_interval
        self._pragmas = tuple(pragmas)
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._gc_task: asyncio.Task[None] | None = None

    def parse_ttl(self, metadata: Mapping[str, str]) -> int | None:
        try:
            return parse_ttl(metadata)
        except InvalidTTLError as exc:
            raise InvalidTTLError(f"error parsing TTL: {exc}") from None

    # lifecycle

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"sqlite-{self.name}")
        await self._run(self._connect)
        if self._cleanup_interval > 0:
            self._gc_task = asyncio.create_task(self._gc_loop(), name=f"sqlite-gc-{self.name}")
        logger.info("sqlite state store %s opened %s (table %s)", self.name, self.path, self.table)

    async def close(self) -> None:
        if self._gc_task is not None:
            self._gc_task.cancel()
            await asyncio.gather(self._gc_task, return_exceptions=True)
            self._gc_task = None
        if self._executor is None:
            return
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)
        self._executor = None

    def _connect(self) -> None:
        uri = self.path.lower().startswith("file:")
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, uri=uri,
            check_same_thread=False,
        )  # fmt: skip
        self._conn = conn
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        set_journal_mode(conn, self._journal_mode())
        for pragma in self._pragmas:
            name, _, value = pragma.partition("(")
            conn.execute(f"PRAGMA {name} = {value.rstrip(')')}" if value else f"PRAGMA {name}")
        self._migrate(conn)

    def _journal_mode(self) -> str:
        lowered = self.path.lower()
        if lowered.startswith((":memory:", "file::memory:")) or "mode=memory" in lowered:
            return "MEMORY"
        read_only = "mode=ro" in lowered or "immutable=1" in lowered
        return "DELETE" if self._disable_wal or read_only else "WAL"

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.metadata_table} "
            "(key text NOT NULL PRIMARY KEY, value text NOT NULL)"
        )
        row = conn.execute(
            f"SELECT value FROM {self.metadata_table} WHERE key = 'migrations'"
        ).fetchone()
        if row is not None and int(row[0]) >= 1:
            return
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {self.table} (
                key TEXT NOT NULL PRIMARY KEY,
                value TEXT NOT NULL,
                is_binary BOOLEAN NOT NULL,
                etag TEXT NOT NULL,
                expiration_time TIMESTAMP DEFAULT NULL,
                update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
            )"""
        )
        conn.execute(f"REPLACE INTO {self.metadata_table} (key, value) VALUES ('migrations', '1')")
        conn.execute("COMMIT")

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise RuntimeError(f"state store {self.name} is not open")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        except sqlite3.Error as exc:
            raise StoreFailedError(f"{type(exc).__name__}: {exc}") from exc

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"state store {self.name} is not open")
        return self._conn

    # reads

    async def get(self, key: str) -> StateItem | None:
        items = await self._run(self._select, [key], self._clock.now())
        return items.get(key)

    async def bulk_get(self, keys: Sequence[str]) -> list[StateItem | None]:
        items = await self._run(self._select, list(keys), self._clock.now())
        return [items.get(key) for key in keys]

    def _select(self, keys: list[str], now: float) -> dict[str, StateItem]:
        found: dict[str, StateItem] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            rows = self._db.execute(
                f"SELECT key, value, is_binary, etag, expiration_time FROM {self.table} "
                f"WHERE key IN ({','.join('?' * len(chunk))}) "
                "AND (expiration_time IS NULL OR expiration_time > ?)",
                [*chunk, _ts(now)],
            )
            for key, value, is_binary, etag, expires in rows:
                data = base64.b64decode(value) if is_binary else str(value).encode()
                found[key] = StateItem(key, data, etag, _epoch(expires))
        return found

    # writes

    async def set(self, op: Upsert) -> str:
        return await self._run(self._write, op, self._clock.now())

    async def delete(self, op: Delete) -> None:
        await self._run(self._write, op, self._clock.now())

    async def _transact(self, ops: Sequence[Upsert | Delete], failures: _Failures) -> None:
        await self._run(self._write_all, list(ops), self._clock.now(), failures)

    def _write_all(self, ops: list[Upsert | Delete], now: float, failures: _Failures) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for op in ops:
                self._write_collecting(op, now, failures)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("ROLLBACK" if failures else "COMMIT")

    def _write_collecting(self, op: Upsert | Delete, now: float, failures: _Failures) -> None:
        try:
            self._write(op, now)
        except (EtagMismatchError, EtagInvalidError) as exc:
            if failures is None:
                raise
            failures.append(exc)

    def _write(self, op: Upsert | Delete, now: float) -> str:
        if isinstance(op, Delete):
            self._delete(op, now)
            return ""
        return self._upsert(op, now)

    def _upsert(self, op: Upsert, now: float) -> str:
        etag = str(uuid.uuid4())
        text, is_binary = _encode(op.value)
        ttl = op.ttl_seconds
        expires = _ts(now + ttl) if ttl is not None and ttl > 0 else None
        row = (text, is_binary, etag, _ts(now), expires)
        if op.etag:
            sql = (
                f"UPDATE {self.table} SET value = ?, is_binary = ?, etag = ?, update_time = ?, "
                "expiration_time = ? WHERE key = ? AND etag = ? "
                "AND (expiration_time IS NULL OR expiration_time > ?)"
            )
            args: tuple[Any, ...] = (*row, op.key, op.etag, _ts(now))
        elif op.first_write:
            sql = (
                f"INSERT OR REPLACE INTO {self.table} "
                "(value, is_binary, etag, update_time, expiration_time, key) "
                f"SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM {self.table} "
                "WHERE key = ? AND (expiration_time IS NULL OR expiration_time > ?))"
            )
            args = (*row, op.key, op.key, _ts(now))
        else:
            sql = (
                f"INSERT OR REPLACE INTO {self.table} "
                "(value, is_binary, etag, update_time, expiration_time, key) "
                "VALUES (?, ?, ?, ?, ?, ?)"
            )
            args = (*row, op.key)
        if self._db.execute(sql, args).rowcount == 0:
            raise EtagMismatchError(op.key)
        return etag

    def _delete(self, op: Delete, now: float) -> None:
        if not op.etag:
            self._db.execute(f"DELETE FROM {self.table} WHERE key = ?", (op.key,))
            return
        cursor = self._db.execute(
            f"DELETE FROM {self.table} WHERE key = ? AND etag = ? "
            "AND (expiration_time IS NULL OR expiration_time > ?)",
            (op.key, op.etag, _ts(now)),
        )
        if cursor.rowcount == 0:
            raise EtagMismatchError(op.key)

    # garbage collection

    async def purge_expired(self) -> int:
        """Delete rows already expired at ``clock.now()``; returns how many went."""
        return await self._run(self._purge, self._clock.now())

    def _purge(self, now: float) -> int:
        sql = f"DELETE FROM {self.table} WHERE expiration_time IS NOT NULL AND expiration_time <= ?"
        return self._db.execute(sql, (_ts(now),)).rowcount

    async def _gc_loop(self) -> None:
        while True:
            deadline = self._clock.now() + self._cleanup_interval
            while self._clock.now() < deadline:
                await self._clock.sleep_until(deadline)
            try:
                removed = await self.purge_expired()
            except sqlite3.Error:
                logger.exception("state store %s: expired-row cleanup failed", self.name)
            else:
                logger.debug("state store %s: removed %d expired rows", self.name, removed)


def _encode(value: bytes) -> tuple[str, bool]:
    """Text when the bytes are UTF-8 (what HTTP JSON values are); base64 otherwise, like contrib."""
    try:
        return value.decode(), False
    except UnicodeDecodeError:
        return base64.b64encode(value).decode(), True
