"""Durable job store on SQLite (WAL). Every write is committed before the call returns.

One table; ``visible_at`` is when a record may next be claimed (its ``due_at``, or the lease
expiry while claimed), indexed per owner so "what is due next" is one index probe however many
jobs wait. Writes of one turn of the event loop (concurrent creates, a wave of completed
deliveries) commit as one transaction (``LoopSqlite.write``); each call still returns only once
its write is committed. A process killed mid-delivery leaves its lease behind; the next sidecar to
open the store releases leases whose holder is gone (see ``Scheduler``), so nothing waits out the
lease.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..loop_sqlite import LoopSqlite
from ._model import JobRecord, JobSpec
from ._store import JobExistsError, JobStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL,
    tick REAL NOT NULL,
    due_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    count INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    lease_owner TEXT,
    PRIMARY KEY (owner, name)
);
CREATE INDEX IF NOT EXISTS jobs_visible ON jobs (owner, visible_at);
CREATE INDEX IF NOT EXISTS jobs_leased ON jobs (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_lease_recheck ON jobs (owner, visible_at)
    WHERE lease_owner IS NOT NULL;
"""

_COLUMNS = "owner, name, spec, created_at, tick, due_at, count, attempts, generation"


def _row(row: Any) -> JobRecord:
    owner, name, spec, created_at, tick, due_at, count, attempts, generation = row
    return JobRecord(
        owner, name, JobSpec.loads(spec), created_at, tick, due_at, count, attempts, generation
    )


class SqliteJobStore(JobStore):
    """Jobs in one SQLite file, safe to share between processes of one runtime home."""

    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        self.path = path
        self.db = LoopSqlite(path, synchronous=synchronous)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await self.db.open(_SCHEMA)

    async def close(self) -> None:
        await self.db.close()

    async def put(self, record: JobRecord, *, overwrite: bool) -> JobRecord:
        record = record.advanced(generation=secrets.randbits(62))
        verb = "INSERT OR REPLACE" if overwrite else "INSERT OR IGNORE"
        _, count = await self.db.write(
            f"{verb} INTO jobs ({_COLUMNS}, visible_at, lease_owner) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (*_values(record), record.due_at),
        )
        if count == 0:
            raise JobExistsError(record.owner, record.name)
        return record

    async def get(self, owner: str, name: str) -> JobRecord | None:
        rows, _ = await self.db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE owner = ? AND name = ?", (owner, name)
        )
        return _row(rows[0]) if rows else None

    async def delete(self, owner: str, name: str) -> bool:
        _, count = await self.db.write(
            "DELETE FROM jobs WHERE owner = ? AND name = ?", (owner, name)
        )
        return count > 0

    async def delete_prefix(self, owner: str, prefix: str) -> int:
        _, count = await self.db.execute(
            "DELETE FROM jobs WHERE owner = ? AND substr(name, 1, ?) = ?",
            (owner, len(prefix), prefix),
        )
        return count

    async def records(self, owner: str) -> list[JobRecord]:
        rows, _ = await self.db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE owner = ? ORDER BY name", (owner,)
        )
        return [_row(r) for r in rows]

    async def count(self, owners: Iterable[str]) -> int:
        total = 0
        for owner in owners:
            rows, _ = await self.db.execute("SELECT COUNT(*) FROM jobs WHERE owner = ?", (owner,))
            total += int(rows[0][0])
        return total

    async def next_due(self, owners: Iterable[str]) -> float | None:
        best: float | None = None
        for owner in owners:
            rows, _ = await self.db.execute(
                "SELECT MIN(visible_at) FROM jobs WHERE owner = ?", (owner,)
            )
            if rows and rows[0][0] is not None and (best is None or rows[0][0] < best):
                best = rows[0][0]
        return best

    async def claim(
        self, owners: Sequence[str], now: float, limit: int, lease_owner: str, lease: float
    ) -> list[JobRecord]:
        out: list[JobRecord] = []
        for owner in owners:
            if len(out) >= limit:
                break
            rows, _ = await self.db.execute(
                "UPDATE jobs SET lease_owner = ?, visible_at = ? WHERE rowid IN "
                "(SELECT rowid FROM jobs WHERE owner = ? AND visible_at <= ? "
                "AND lease_owner IS NULL ORDER BY visible_at LIMIT ?) "
                f"RETURNING {_COLUMNS}",
                (lease_owner, now + lease, owner, now, limit - len(out)),
            )
            out.extend(_row(r) for r in rows)
        return sorted(out, key=lambda r: r.due_at)

    async def complete(self, record: JobRecord, next_record: JobRecord | None) -> bool:
        key = (record.owner, record.name, record.generation)
        args: tuple[Any, ...]
        if next_record is None:
            sql, args = "DELETE FROM jobs WHERE owner = ? AND name = ? AND generation = ?", key
        else:
            sql = (
                "UPDATE jobs SET tick = ?, due_at = ?, visible_at = ?, count = ?, attempts = ?, "
                "lease_owner = NULL WHERE owner = ? AND name = ? AND generation = ?"
            )
            n = next_record
            args = (n.tick, n.due_at, n.due_at, n.count, n.attempts, *key)
        _, count = await self.db.write(sql, args)
        return count > 0

    async def stale_holders(self, owners: Sequence[str], now: float) -> set[str]:
        out: set[str] = set()
        for owner in owners:
            rows, _ = await self.db.execute(
                "SELECT DISTINCT lease_owner FROM jobs INDEXED BY jobs_lease_recheck "
                "WHERE owner = ? AND visible_at <= ? AND lease_owner IS NOT NULL",
                (owner, now),
            )
            out.update(r[0] for r in rows)
        return out

    async def renew(self, lease_owner: str, until: float) -> int:
        _, count = await self.db.execute(
            "UPDATE jobs SET visible_at = ? WHERE lease_owner = ?", (until, lease_owner)
        )
        return count

    async def release_leases(self, lease_owners: Iterable[str]) -> int:
        total = 0
        for holder in lease_owners:
            _, count = await self.db.execute(
                "UPDATE jobs SET visible_at = due_at, lease_owner = NULL WHERE lease_owner = ?",
                (holder,),
            )
            total += count
        return total

    async def lease_holders(self) -> set[str]:
        rows, _ = await self.db.execute(
            "SELECT DISTINCT lease_owner FROM jobs WHERE lease_owner IS NOT NULL"
        )
        return {r[0] for r in rows}


def _values(r: JobRecord) -> tuple[Any, ...]:
    return (
        r.owner,
        r.name,
        r.spec.dumps(),
        r.created_at,
        r.tick,
        r.due_at,
        r.count,
        r.attempts,
        r.generation,
    )
