"""``state.sqlite``: contrib's schema and concurrency rules on Python's sqlite3.

Statements run through ``LoopSqlite``: a single read or write runs inline and autocommits, so a
write is on disk (WAL or rollback journal) before the call returns; a transaction or bulk write is
one function on the worker thread inside ``BEGIN IMMEDIATE``, so it is all or nothing and no other
call interleaves with it. Expiry compares against the injected clock, never SQLite's
``CURRENT_TIMESTAMP``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..clock import Clock, utc
from ..loop_sqlite import LoopSqlite, Rows
from ._base import (
    Delete,
    Failures,
    SqlTables,
    StateItem,
    StateStore,
    Upsert,
    apply_all,
    parse_ttl,
)
from ._store_errors import EtagMismatchError, InvalidTTLError, StoreFailedError

logger = logging.getLogger(__name__)

_TS = "%Y-%m-%d %H:%M:%S"
_CHUNK = 500


def _ts(epoch: float) -> str:
    return utc(math.floor(epoch)).strftime(_TS)


def _epoch(text: str | None) -> float | None:
    if text is None:
        return None
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class _Write:
    """One op as a statement; ``checked``: no row changed means the op's condition failed."""

    sql: str
    args: tuple[Any, ...]
    key: str
    checked: bool
    etag: str = ""

    def outcome(self, count: int) -> str:
        """The new ETag, or EtagMismatchError when the condition failed."""
        if self.checked and count == 0:
            raise EtagMismatchError(self.key)
        return self.etag


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreFailedError(f"{type(exc).__name__}: {exc}") from exc


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
        tables: SqlTables = SqlTables(),
        actor_state_store: bool = False,
        busy_timeout: float = 2.0,
        disable_wal: bool = False,
        pragmas: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.actor_state_store = actor_state_store
        self.path = path
        self.table, self.metadata_table = tables.table, tables.metadata_table
        self._clock = clock
        self._cleanup_interval = tables.cleanup_interval
        self.db = LoopSqlite(
            path,
            name=f"state store {name}",
            busy_timeout_ms=int(busy_timeout * 1000),
            synchronous="FULL",  # SQLite's default; a ``synchronous`` pragma overrides it
            journal_mode=_journal_mode(path, disable_wal),
            pragmas=[_pragma(p) for p in pragmas],
            inline=not _in_memory(path),
        )
        self._gc_task: asyncio.Task[None] | None = None

    def parse_ttl(self, metadata: Mapping[str, str]) -> int | None:
        try:
            return parse_ttl(metadata)
        except InvalidTTLError as exc:
            raise InvalidTTLError(f"error parsing TTL: {exc}") from None

    # lifecycle

    async def open(self) -> None:
        with _store_errors():
            await self.db.open()
            await self.db.run(self._migrate)
        if self._cleanup_interval > 0:
            self._gc_task = asyncio.create_task(self._gc_loop(), name=f"sqlite-gc-{self.name}")
        logger.info("sqlite state store %s opened %s (table %s)", self.name, self.path, self.table)

    async def close(self) -> None:
        if self._gc_task is not None:
            self._gc_task.cancel()
            await asyncio.gather(self._gc_task, return_exceptions=True)
            self._gc_task = None
        await self.db.close()

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

    async def _execute(self, sql: str, args: Sequence[Any]) -> tuple[Rows, int]:
        with _store_errors():
            return await self.db.execute(sql, args)

    # reads

    async def get(self, key: str) -> StateItem | None:
        items = await self._select([key], self._clock.now())
        return items.get(key)

    async def bulk_get(self, keys: Sequence[str]) -> list[StateItem | None]:
        items = await self._select(list(keys), self._clock.now())
        return [items.get(key) for key in keys]

    async def _select(self, keys: list[str], now: float) -> dict[str, StateItem]:
        found: dict[str, StateItem] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            rows, _ = await self._execute(
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
        write = self._write(op, self._clock.now())
        _, count = await self._execute(write.sql, write.args)
        return write.outcome(count)

    async def delete(self, op: Delete) -> None:
        write = self._write(op, self._clock.now())
        _, count = await self._execute(write.sql, write.args)
        write.outcome(count)

    async def _transact(self, ops: Sequence[Upsert | Delete], failures: Failures) -> None:
        now = self._clock.now()
        writes = [self._write(op, now) for op in ops]
        with _store_errors(), contextlib.suppress(_RolledBack):
            await self.db.transaction(_write_all, writes, failures)

    def _write(self, op: Upsert | Delete, now: float) -> _Write:
        if isinstance(op, Delete):
            return self._delete(op, now)
        return self._upsert(op, now)

    def _upsert(self, op: Upsert, now: float) -> _Write:
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
        return _Write(sql, args, op.key, checked=True, etag=etag)

    def _delete(self, op: Delete, now: float) -> _Write:
        if not op.etag:
            return _Write(f"DELETE FROM {self.table} WHERE key = ?", (op.key,), op.key, False)
        sql = (
            f"DELETE FROM {self.table} WHERE key = ? AND etag = ? "
            "AND (expiration_time IS NULL OR expiration_time > ?)"
        )
        return _Write(sql, (op.key, op.etag, _ts(now)), op.key, checked=True)

    # garbage collection

    async def purge_expired(self) -> int:
        """Delete rows already expired at ``clock.now()``; returns how many went."""
        sql = f"DELETE FROM {self.table} WHERE expiration_time IS NOT NULL AND expiration_time <= ?"
        _, count = await self._execute(sql, (_ts(self._clock.now()),))
        return count

    async def _gc_loop(self) -> None:
        while True:
            deadline = self._clock.now() + self._cleanup_interval
            while self._clock.now() < deadline:
                await self._clock.sleep_until(deadline)
            try:
                removed = await self.purge_expired()
            except StoreFailedError:
                logger.exception("state store %s: expired-row cleanup failed", self.name)
            else:
                logger.debug("state store %s: removed %d expired rows", self.name, removed)


def _write_all(conn: sqlite3.Connection, writes: list[_Write], failures: Failures) -> None:
    """Every write in one transaction (run by ``LoopSqlite.transaction``). With ``failures`` None
    the first failed condition rolls it back; otherwise each is collected and any rolls it back."""
    apply_all(writes, lambda w: w.outcome(conn.execute(w.sql, w.args).rowcount), failures)
    if failures:
        raise _RolledBack()


class _RolledBack(Exception):
    """Ends a bulk write whose failures were collected, so that it is rolled back."""


def _in_memory(path: str) -> bool:
    lowered = path.lower()
    return lowered.startswith((":memory:", "file::memory:")) or "mode=memory" in lowered


def _journal_mode(path: str, disable_wal: bool) -> str:
    lowered = path.lower()
    if _in_memory(path):
        return "MEMORY"
    read_only = "mode=ro" in lowered or "immutable=1" in lowered
    return "DELETE" if disable_wal or read_only else "WAL"


def _pragma(pragma: str) -> str:
    """A connection string's ``name(value)`` pragma as ``name = value``."""
    name, _, value = pragma.partition("(")
    return f"{name} = {value.rstrip(')')}" if value else name


def _encode(value: bytes) -> tuple[str, bool]:
    """Text when the bytes are UTF-8 (what HTTP JSON values are); base64 otherwise, like contrib."""
    try:
        return value.decode(), False
    except UnicodeDecodeError:
        return base64.b64encode(value).decode(), True
