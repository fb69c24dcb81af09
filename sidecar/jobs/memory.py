"""In-memory job store: the same contract as the SQLite store, for unit tests."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._model import JobRecord
from ._store import JobExistsError, JobStore


@dataclass
class _Entry:
    record: JobRecord
    visible_at: float  # due_at, or the lease expiry while claimed
    lease_owner: str | None = None


class MemoryJobStore(JobStore):
    """Records in a dict; per-owner heaps of (visible_at, name) with lazy deletion."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._heaps: dict[str, list[tuple[float, str]]] = {}
        self._generation = 0

    def _push(self, owner: str, name: str, entry: _Entry) -> None:
        self._entries[(owner, name)] = entry
        heapq.heappush(self._heaps.setdefault(owner, []), (entry.visible_at, name))

    async def put(self, record: JobRecord, *, overwrite: bool) -> JobRecord:
        if not overwrite and (record.owner, record.name) in self._entries:
            raise JobExistsError(record.owner, record.name)
        self._generation += 1
        record = record.advanced(generation=self._generation)
        self._push(record.owner, record.name, _Entry(record, record.due_at))
        return record

    async def get(self, owner: str, name: str) -> JobRecord | None:
        entry = self._entries.get((owner, name))
        return entry.record if entry else None

    async def delete(self, owner: str, name: str) -> bool:
        return self._entries.pop((owner, name), None) is not None

    async def delete_prefix(self, owner: str, prefix: str) -> int:
        keys = [k for k in self._entries if k[0] == owner and k[1].startswith(prefix)]
        for key in keys:
            del self._entries[key]
        return len(keys)

    async def records(self, owner: str) -> list[JobRecord]:
        return [e.record for k, e in sorted(self._entries.items()) if k[0] == owner]

    async def count(self, owners: Iterable[str]) -> int:
        wanted = set(owners)
        return sum(1 for owner, _ in self._entries if owner in wanted)

    def _top(self, owner: str) -> tuple[float, str] | None:
        heap = self._heaps.get(owner, [])
        while heap:
            at, name = heap[0]
            entry = self._entries.get((owner, name))
            if entry is not None and entry.visible_at == at:
                return at, name
            heapq.heappop(heap)
        return None

    async def next_due(self, owners: Iterable[str]) -> float | None:
        tops = [t[0] for t in (self._top(o) for o in owners) if t is not None]
        return min(tops, default=None)

    async def claim(
        self, owners: Sequence[str], now: float, limit: int, lease_owner: str, lease: float
    ) -> list[JobRecord]:
        out: list[JobRecord] = []
        for owner in owners:
            while len(out) < limit and (top := self._top(owner)) is not None and top[0] <= now:
                entry = self._entries[(owner, top[1])]
                if entry.lease_owner is not None:  # a stale lease: the scheduler rechecks it
                    break
                entry.lease_owner, entry.visible_at = lease_owner, now + lease
                heapq.heappush(self._heaps[owner], (entry.visible_at, top[1]))
                out.append(entry.record)
        return sorted(out, key=lambda r: r.due_at)

    async def complete(self, record: JobRecord, next_record: JobRecord | None) -> bool:
        key = (record.owner, record.name)
        entry = self._entries.get(key)
        if entry is None or entry.record.generation != record.generation:
            return False
        if next_record is None:
            del self._entries[key]
        else:
            self._push(record.owner, record.name, _Entry(next_record, next_record.due_at))
        return True

    async def stale_holders(self, owners: Sequence[str], now: float) -> set[str]:
        wanted = set(owners)
        return {
            e.lease_owner
            for (owner, _), e in self._entries.items()
            if owner in wanted and e.lease_owner is not None and e.visible_at <= now
        }

    async def renew(self, lease_owner: str, until: float) -> int:
        count = 0
        for (owner, name), entry in list(self._entries.items()):
            if entry.lease_owner == lease_owner:
                entry.visible_at = until
                heapq.heappush(self._heaps[owner], (until, name))
                count += 1
        return count

    async def release_leases(self, lease_owners: Iterable[str]) -> int:
        dead = set(lease_owners)
        count = 0
        for (owner, name), entry in list(self._entries.items()):
            if entry.lease_owner in dead:
                self._push(owner, name, _Entry(entry.record, entry.record.due_at))
                count += 1
        return count

    async def lease_holders(self) -> set[str]:
        return {e.lease_owner for e in self._entries.values() if e.lease_owner is not None}
