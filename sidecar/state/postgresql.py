"""``state.postgresql`` (version v1, daprd 1.18's default): contrib's v1 table on psycopg 3.

The table (``tableName``, default ``state``) has contrib's v1 columns ``key`` (text, primary key),
``value`` (jsonb), ``isbinary``, ``insertdate``, ``updatedate``, ``expiredate`` and ``row_id``;
its schema level is the ``migrations`` row of ``metadataTableName`` (default ``dapr_metadata``),
so daprd and this runtime share one table. The ETag is the row's ``xmin``. A value that is JSON is
stored as jsonb (and read back in PostgreSQL's jsonb text form); other bytes as a base64 JSON
string with ``isbinary``.

contrib's rules: a write or delete with an ETag on a missing or expired row is a mismatch; a
first-write on an existing row fails with a plain error ("no item was updated"); a bulk write
applies item by item; a transaction is one database transaction. Deviation: expiry compares
against the sidecar's clock (the same instant on one machine) rather than ``CURRENT_TIMESTAMP``.
Calls share one connection, reopened after it is lost.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from ..clock import Clock
from ._base import Delete, Failures, SqlTables, StateItem, StateStore, Upsert, go_atoi
from ._store_errors import EtagInvalidError, EtagMismatchError, StoreFailedError

logger = logging.getLogger(__name__)

SCHEMA_LEVEL = 3  # contrib v1's migrations: table, expiredate, row_id


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# contrib's defaults for state.postgresql v1
DEFAULT_TABLES = SqlTables(metadata_table="dapr_metadata", cleanup_interval=3600.0)


class PostgresStateStore(StateStore):
    """contrib ``state.postgresql`` v1 (see the module docstring)."""

    component_type = "state.postgresql"
    features = ("ETAG", "TRANSACTIONAL", "TTL", "KEYS_LIKE")

    def __init__(
        self,
        name: str,
        conninfo: str,
        clock: Clock,
        *,
        tables: SqlTables = DEFAULT_TABLES,
        timeout: float = 20.0,
        actor_state_store: bool = False,
    ) -> None:
        self.name = name
        self.conninfo = conninfo
        self.table, self.metadata_table = tables.table, tables.metadata_table
        self.cleanup_interval = tables.cleanup_interval
        self.timeout = timeout
        self.actor_state_store = actor_state_store
        self._clock = clock
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()
        self._gc: asyncio.Task[None] | None = None

    async def open(self) -> None:
        try:
            async with self._lock:
                conn = await self._connection()
                async with conn.transaction():
                    await self._migrate(conn)
        except (psycopg.Error, OSError, TimeoutError) as exc:
            raise StoreFailedError(f"failed to connect to the database: {exc}") from exc
        if self.cleanup_interval > 0:
            self._gc = asyncio.create_task(self._gc_loop(), name=f"postgres-gc-{self.name}")
        logger.info("postgresql state store %s opened (table %s)", self.name, self.table)

    async def close(self) -> None:
        if self._gc is not None:
            self._gc.cancel()
            await asyncio.gather(self._gc, return_exceptions=True)
            self._gc = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        connect = psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        conn: psycopg.AsyncConnection[Any] = await asyncio.wait_for(connect, self.timeout)
        self._conn = conn
        return conn

    async def _migrate(self, conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table,))
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.metadata_table} "
            "(key text NOT NULL PRIMARY KEY, value text NOT NULL)"
        )
        cur = await conn.execute(
            f"SELECT value FROM {self.metadata_table} WHERE key = 'migrations'"
        )
        row = await cur.fetchone()
        level = int(row[0]) if row else 0
        for statements in _MIGRATIONS[level:]:
            for statement in statements.split("; "):
                await conn.execute(statement.format(table=self.table))
        await conn.execute(
            f"INSERT INTO {self.metadata_table} (key, value) VALUES ('migrations', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(max(level, SCHEMA_LEVEL)),),
        )

    async def _run(self, work: Any) -> Any:
        """``work(conn)`` under the lock and the timeout; database errors as StoreFailedError."""
        async with self._lock:
            try:
                conn = await self._connection()
                async with asyncio.timeout(self.timeout):
                    return await work(conn)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                if self._conn is not None and self._conn.broken:
                    self._conn = None
                raise StoreFailedError(str(exc) or type(exc).__name__) from exc

    # reads

    async def get(self, key: str) -> StateItem | None:
        return (await self.bulk_get([key]))[0]

    async def bulk_get(self, keys: Sequence[str]) -> list[StateItem | None]:
        if not keys:
            return []
        sql = (
            f"SELECT key, value::text, isbinary, xmin::text::bigint, expiredate FROM {self.table} "
            "WHERE key = ANY(%s) AND (expiredate IS NULL OR expiredate > %s)"
        )

        async def select(conn: psycopg.AsyncConnection[Any]) -> list[Any]:
            cur = await conn.execute(sql, (list(keys), _ts(self._clock.now())))
            return await cur.fetchall()

        found = {row[0]: _item(*row) for row in await self._run(select)}
        return [found.get(key) for key in keys]

    # writes

    async def set(self, op: Upsert) -> str:
        return str(await self._run(lambda conn: self._write(conn, op)))

    async def delete(self, op: Delete) -> None:
        await self._run(lambda conn: self._write(conn, op))

    async def _transact(self, ops: Sequence[Upsert | Delete], failures: Failures) -> None:
        if failures is not None:  # a bulk write: item by item, as contrib's DefaultBulkStore
            for op in ops:
                try:
                    await self.set(op) if isinstance(op, Upsert) else await self.delete(op)
                except (EtagMismatchError, EtagInvalidError) as exc:
                    failures.append(exc)
            return

        async def all_ops(conn: psycopg.AsyncConnection[Any]) -> None:
            async with conn.transaction():
                for op in ops:
                    await self._write(conn, op)

        await self._run(all_ops)

    async def _write(self, conn: psycopg.AsyncConnection[Any], op: Upsert | Delete) -> int:
        """Apply one op; the new ETag (0 for a delete). Raises when its condition fails."""
        now = _ts(self._clock.now())
        sql, args = self._delete(op, now) if isinstance(op, Delete) else self._upsert(op, now)
        cur = await conn.execute(sql, args)
        row = await cur.fetchone() if cur.description else None
        if cur.rowcount == 1 or (isinstance(op, Delete) and not op.etag):
            return int(row[0]) if row else 0
        if op.etag:
            raise EtagMismatchError(op.key)
        raise StoreFailedError("no item was updated")

    def _upsert(self, op: Upsert, now: datetime) -> tuple[str, tuple[Any, ...]]:
        value, binary = _encode(op.value)
        ttl = op.ttl_seconds
        expires = _ts(now.timestamp() + ttl) if ttl is not None and ttl > 0 else None
        if op.etag:
            sql = (
                f"UPDATE {self.table} SET value = %s::jsonb, isbinary = %s, updatedate = %s, "
                "expiredate = %s WHERE key = %s AND xmin::text = %s "
                "AND (expiredate IS NULL OR expiredate > %s) RETURNING xmin::text::bigint"
            )
            return sql, (value, binary, now, expires, op.key, _etag(op.key, op.etag), now)
        guard = ""
        if op.first_write:
            guard = f" WHERE {self.table}.expiredate IS NOT NULL AND {self.table}.expiredate < %s"
        sql = (
            f"INSERT INTO {self.table} (key, value, isbinary, expiredate) "
            "VALUES (%s, %s::jsonb, %s, %s) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, isbinary = excluded.isbinary, updatedate = %s, "
            f"expiredate = excluded.expiredate{guard} RETURNING xmin::text::bigint"
        )
        args: tuple[Any, ...] = (op.key, value, binary, expires, now)
        return sql, (*args, now) if op.first_write else args

    def _delete(self, op: Delete, now: datetime) -> tuple[str, tuple[Any, ...]]:
        if not op.etag:
            return f"DELETE FROM {self.table} WHERE key = %s", (op.key,)
        sql = f"DELETE FROM {self.table} WHERE key = %s AND xmin::text = %s"
        return sql, (op.key, _etag(op.key, op.etag))

    # expired rows

    async def purge_expired(self) -> int:
        """Delete rows expired at ``clock.now()`` and note the time, as contrib's cleanup does."""
        now = _ts(self._clock.now())

        async def purge(conn: psycopg.AsyncConnection[Any]) -> int:
            cur = await conn.execute(
                f"DELETE FROM {self.table} WHERE expiredate IS NOT NULL AND expiredate <= %s",
                (now,),
            )
            await conn.execute(
                f"INSERT INTO {self.metadata_table} (key, value) VALUES ('last-cleanup', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (now.isoformat(),),
            )
            return cur.rowcount

        return int(await self._run(purge))

    async def _gc_loop(self) -> None:
        while True:
            deadline = self._clock.now() + self.cleanup_interval
            while self._clock.now() < deadline:
                await self._clock.sleep_until(deadline)
            try:
                await self.purge_expired()
            except StoreFailedError:
                logger.exception("state store %s: expired-row cleanup failed", self.name)


_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS {table} (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, "
    "isbinary boolean NOT NULL, insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), "
    "updatedate TIMESTAMP WITH TIME ZONE NULL)",
    "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS expiredate TIMESTAMP WITH TIME ZONE",
    "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS row_id BIGINT NOT NULL "
    "GENERATED BY DEFAULT AS IDENTITY; "
    "CREATE UNIQUE INDEX IF NOT EXISTS {table}_row_id_uidx ON {table} (row_id)",
)


def _etag(key: str, etag: str) -> str:
    """contrib: the ETag must parse as a uint32 (``strconv.ParseUint``)."""
    try:
        value = go_atoi(etag, "ParseUint")
    except ValueError as exc:
        raise EtagInvalidError(key, str(exc)) from None
    if not 0 <= value < 2**32:
        raise EtagInvalidError(key, f'strconv.ParseUint: parsing "{etag}": value out of range')
    return str(value)


def _encode(value: bytes) -> tuple[str, bool]:
    """JSON bytes as they are; anything else as a base64 JSON string flagged binary."""
    try:
        json.loads(value)
        return value.decode(), False
    except (UnicodeDecodeError, ValueError):
        return json.dumps(base64.b64encode(value).decode()), True


def _item(key: str, value: str, binary: bool, etag: int, expires: datetime | None) -> StateItem:
    data = base64.b64decode(json.loads(value)) if binary else value.encode()
    return StateItem(key, data, str(etag), expires.timestamp() if expires else None)
