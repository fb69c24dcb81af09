"""The local registry: name resolution and actor placement for sidecars sharing a runtime home.

Each sidecar records itself (app id, address, pid, hosted actor types) in ``registry.db``.
Lookups skip and prune entries whose process is gone, so a sidecar killed with -9 drops out on
the next lookup. This plays the part of mDNS and the placement service for one machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ._config import private_dir
from .loop_sqlite import LoopSqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sidecars (
    instance TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    namespace TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    started REAL NOT NULL,
    actor_types TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS sidecars_app ON sidecars (app_id);
CREATE TABLE IF NOT EXISTS membership (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    generation INTEGER NOT NULL
);
"""
# One more each time a sidecar registers or changes the actor types it hosts: a host joining is
# the only change that moves actors away from the others (one leaving moves its own to them).
_BUMP = (
    "INSERT INTO membership VALUES (0, 1) "
    "ON CONFLICT (id) DO UPDATE SET generation = generation + 1"
)


@dataclass(frozen=True)
class Entry:
    instance: str
    app_id: str
    namespace: str
    host: str
    port: int
    pid: int
    started: float
    actor_types: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_start(pid: int) -> str:
    """The start time of process ``pid`` in clock ticks since boot ("" where unknown)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]


class Registry:
    """Registry rows in SQLite (WAL); every call is one autocommitted statement.

    The database is opened on first use and kept until ``close``.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / "registry.db"
        self.db = LoopSqlite(self.path, name="registry", synchronous="FULL")
        self._opened = False
        self._opening = asyncio.Lock()

    async def _run(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        if not self._opened:
            await self._open()
        rows, _ = await self.db.execute(sql, args)
        return rows

    async def _open(self) -> None:
        async with self._opening:
            if not self._opened:
                private_dir(self.home)
                await self.db.open(_SCHEMA)
                self._opened = True

    async def close(self) -> None:
        await self.db.close()
        self._opened = False

    def internal_key(self) -> str:
        """A secret shared by the sidecars of this home, for their internal forwarding routes."""
        private_dir(self.home)
        path = self.home / "internal.key"
        if not path.exists():  # several sidecars may start at once in a new home
            draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(24))
            try:
                os.link(draft, path)  # appears whole or not at all; the first one's key wins
            except FileExistsError:
                pass
            finally:
                os.unlink(draft)
        return path.read_text().strip()

    async def register(self, entry: Entry) -> None:
        private_dir(self.home)
        await self._run(
            "INSERT OR REPLACE INTO sidecars VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.instance,
                entry.app_id,
                entry.namespace,
                entry.host,
                entry.port,
                entry.pid,
                entry.started,
                json.dumps(list(entry.actor_types)),
            ),
        )
        await self._run(_BUMP)

    async def set_actor_types(self, instance: str, types: list[str]) -> None:
        await self._run(
            "UPDATE sidecars SET actor_types = ? WHERE instance = ?", (json.dumps(types), instance)
        )
        await self._run(_BUMP)

    async def generation(self) -> int:
        """The membership generation: it grows whenever a host may have taken actors over."""
        rows = await self._run("SELECT generation FROM membership WHERE id = 0")
        return int(str(rows[0][0])) if rows else 0

    async def unregister(self, instance: str) -> None:
        await self._run("DELETE FROM sidecars WHERE instance = ?", (instance,))

    async def entries(self) -> list[Entry]:
        """Every live entry (dead processes are pruned), oldest first."""
        rows = await self._run("SELECT * FROM sidecars ORDER BY started, instance")
        entries = [_entry(row) for row in rows]
        dead = [e for e in entries if not pid_alive(e.pid)]
        for entry in dead:
            await self.unregister(entry.instance)
        return [e for e in entries if e not in dead]

    async def lookup(self, app_id: str, namespace: str = "default") -> list[Entry]:
        return [e for e in await self.entries() if e.app_id == app_id and e.namespace == namespace]

    async def hosts_of(self, actor_type: str, namespace: str = "default") -> list[Entry]:
        return [
            e
            for e in await self.entries()
            if actor_type in e.actor_types and e.namespace == namespace
        ]


def _entry(row: tuple[object, ...]) -> Entry:
    instance, app_id, namespace, host, port, pid, started, types = row
    return Entry(
        str(instance),
        str(app_id),
        str(namespace),
        str(host),
        int(str(port)),
        int(str(pid)),
        float(str(started)),
        tuple(json.loads(str(types))),
    )
