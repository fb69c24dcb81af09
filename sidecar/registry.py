"""The local registry: name resolution and actor placement for sidecars sharing a runtime home.

Each sidecar records itself (app id, address, pid, hosted actor types) in ``registry.db``.
Lookups skip and prune entries whose process is gone or has exited (a zombie its runner has not
collected yet counts as gone), so a sidecar killed with -9 drops out on the next lookup. This
plays the part of mDNS and the placement service for one machine.
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
CREATE TABLE IF NOT EXISTS activations (
    namespace TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    instance TEXT NOT NULL,
    PRIMARY KEY (namespace, actor_type, actor_id)
) WITHOUT ROWID;
"""
# One more each time a sidecar registers or changes the actor types it hosts: a host joining is
# the only change that moves actors away from the others (one leaving moves its own to them).
_BUMP = (
    "INSERT INTO membership VALUES (0, 1) "
    "ON CONFLICT (id) DO UPDATE SET generation = generation + 1"
)


# An actor is active on one sidecar at a time: the row is taken when the actor activates and
# dropped when it deactivates. A row of a sidecar that left the registry (it stopped, or was found
# dead and pruned) may be taken over; a live holder's may not.
_ACTIVATE = """
INSERT INTO activations VALUES (?, ?, ?, ?)
ON CONFLICT (namespace, actor_type, actor_id) DO UPDATE SET instance = excluded.instance
WHERE activations.instance = excluded.instance
    OR activations.instance NOT IN (SELECT instance FROM sidecars)
RETURNING instance
"""
_HOLDER = "SELECT instance FROM activations WHERE namespace = ? AND actor_type = ? AND actor_id = ?"
_DEACTIVATE = (
    "DELETE FROM activations WHERE namespace = ? AND actor_type = ? AND actor_id = ?"
    " AND instance = ?"
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
    """Whether process ``pid`` exists on this machine and has not exited: a zombie (exited, not
    yet collected by its parent) still has its pid but counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    state = _stat(pid)
    return state is None or state[0] not in _EXITED


def process_start(pid: int) -> str:
    """The start time of process ``pid`` in clock ticks since boot; "" where unknown, and for a
    process that has exited but whose parent has not collected it yet (a zombie): it still has
    a pid, but nothing of it runs."""
    state = _stat(pid)
    return "" if state is None or state[0] in _EXITED else state[19]


def same_process(pid: int, started: str) -> bool:
    """Whether ``pid`` is still the process whose ``process_start`` was ``started``: running,
    not a zombie, and not a later process given the same pid. ``started`` unknown (""): whether
    the pid is alive. One read of ``/proc`` where the start is known."""
    return pid_alive(pid) if started == "" else process_start(pid) == started


_EXITED = ("Z", "X")  # zombie, dead


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first); None where
    there is no such file (the process is gone, or no /proc)."""
    try:  # os.read: a third of Path.read_text's cost, and lookups check every entry
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        stat = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    return stat.rpartition(b")")[2].decode().split()


class Registry:
    """Registry rows in SQLite (WAL); every call is one autocommitted statement.

    The database is opened on first use and kept until ``close``.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / "registry.db"
        # NORMAL: a write survives any process killed; nothing here outlives the machine's
        # processes (the rows of dead ones are pruned), and FULL's fsync costs ms per write
        self.db = LoopSqlite(self.path, name="registry", synchronous="NORMAL")
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

    async def activate(self, namespace: str, actor_type: str, actor_id: str, instance: str) -> str:
        """Record the actor as active on ``instance``: ``instance`` when that is done, else the
        live sidecar it is active on now (one found dead is pruned and the actor taken over)."""
        key, holder = (namespace, actor_type, actor_id), ""
        for _ in range(3):
            if await self._write(_ACTIVATE, (*key, instance)):
                return instance
            rows = await self._run(_HOLDER, key)
            if not rows:
                continue  # deactivated meanwhile
            holder = str(rows[0][0])
            if any(e.instance == holder for e in await self.entries()):
                return holder  # else entries() pruned the dead holder: take it over
        return holder

    async def deactivate(
        self, namespace: str, actor_type: str, actor_id: str, instance: str
    ) -> None:
        """Drop the record that the actor is active on ``instance`` (if it still is)."""
        await self._write(_DEACTIVATE, (namespace, actor_type, actor_id, instance))

    async def _write(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        """A write committed with the others of this turn of the loop (see ``LoopSqlite.write``)."""
        if not self._opened:
            await self._open()
        rows, _ = await self.db.write(sql, args)
        return rows

    async def unregister(self, instance: str) -> None:
        await self._run("DELETE FROM sidecars WHERE instance = ?", (instance,))
        await self._run("DELETE FROM activations WHERE instance = ?", (instance,))

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
