"""One contract suite, both job stores (memory and SQLite on a temp file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sidecar.jobs import (
    JobExistsError,
    JobRecord,
    JobSpec,
    JobStore,
    MemoryJobStore,
    SqliteJobStore,
)

OWNER = "app||default||myapp"


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    impl: JobStore = (
        MemoryJobStore() if request.param == "memory" else SqliteJobStore(tmp_path / "s.db")
    )
    async with impl:
        yield impl


def rec(name: str, due: float, owner: str = OWNER, **kw: object) -> JobRecord:
    spec = JobSpec(due_time="1s", data='{"a":1}')
    return JobRecord(owner, name, spec, created_at=0.0, tick=due, due_at=due, **kw)  # type: ignore[arg-type]


async def test_put_get_roundtrip(store: JobStore) -> None:
    stored = await store.put(rec("j1", 10.0), overwrite=False)
    got = await store.get(OWNER, "j1")
    assert got == stored
    assert got is not None and got.spec.data == '{"a":1}'


async def test_put_without_overwrite_conflicts_and_changes_nothing(store: JobStore) -> None:
    first = await store.put(rec("j1", 10.0), overwrite=False)
    with pytest.raises(JobExistsError, match="job already exists: 'app||default||myapp||j1'"):
        await store.put(rec("j1", 99.0), overwrite=False)
    assert await store.get(OWNER, "j1") == first


async def test_overwrite_replaces_and_changes_generation(store: JobStore) -> None:
    first = await store.put(rec("j1", 10.0), overwrite=False)
    second = await store.put(rec("j1", 20.0), overwrite=True)
    assert second.generation != first.generation
    assert (await store.get(OWNER, "j1")) == second


async def test_delete(store: JobStore) -> None:
    await store.put(rec("j1", 10.0), overwrite=False)
    assert await store.delete(OWNER, "j1") is True
    assert await store.delete(OWNER, "j1") is False
    assert await store.get(OWNER, "j1") is None


async def test_delete_prefix_and_list(store: JobStore) -> None:
    for name in ("a||r1", "a||r2", "b||r1"):
        await store.put(rec(name, 1.0), overwrite=False)
    assert [r.name for r in await store.records(OWNER)] == ["a||r1", "a||r2", "b||r1"]
    assert await store.delete_prefix(OWNER, "a||") == 2
    assert [r.name for r in await store.records(OWNER)] == ["b||r1"]


async def test_next_due_and_claim_respect_owner_and_time(store: JobStore) -> None:
    await store.put(rec("late", 30.0), overwrite=False)
    await store.put(rec("early", 10.0), overwrite=False)
    await store.put(rec("other", 5.0, owner="app||default||other"), overwrite=False)
    assert await store.next_due([OWNER]) == 10.0
    assert await store.claim([OWNER], now=9.99, limit=10, lease_owner="x", lease=60) == []
    claimed = await store.claim([OWNER], now=30.0, limit=10, lease_owner="x", lease=60)
    assert [r.name for r in claimed] == ["early", "late"]


async def test_claimed_records_are_hidden_until_completed(store: JobStore) -> None:
    await store.put(rec("j1", 10.0), overwrite=False)
    (claimed,) = await store.claim([OWNER], now=10.0, limit=10, lease_owner="x", lease=60)
    assert await store.claim([OWNER], now=11.0, limit=10, lease_owner="y", lease=60) == []
    assert await store.next_due([OWNER]) == 70.0  # visible again when the lease runs out
    nxt = claimed.advanced(count=1, tick=40.0, due_at=40.0)
    assert await store.complete(claimed, nxt) is True
    assert await store.next_due([OWNER]) == 40.0
    assert (await store.get(OWNER, "j1")) == nxt


async def test_complete_with_none_deletes(store: JobStore) -> None:
    await store.put(rec("j1", 10.0), overwrite=False)
    (claimed,) = await store.claim([OWNER], now=10.0, limit=1, lease_owner="x", lease=60)
    assert await store.complete(claimed, None) is True
    assert await store.get(OWNER, "j1") is None
    assert await store.next_due([OWNER]) is None


async def test_complete_after_overwrite_is_ignored(store: JobStore) -> None:
    await store.put(rec("j1", 10.0), overwrite=False)
    (claimed,) = await store.claim([OWNER], now=10.0, limit=1, lease_owner="x", lease=60)
    newer = await store.put(rec("j1", 50.0), overwrite=True)
    assert await store.complete(claimed, None) is False
    assert await store.get(OWNER, "j1") == newer


async def test_release_leases_of_dead_holder(store: JobStore) -> None:
    await store.put(rec("j1", 10.0), overwrite=False)
    await store.claim([OWNER], now=10.0, limit=1, lease_owner="dead", lease=600)
    assert await store.lease_holders() == {"dead"}
    assert await store.release_leases(["dead"]) == 1
    assert await store.next_due([OWNER]) == 10.0
    assert await store.lease_holders() == set()


async def test_claim_limit(store: JobStore) -> None:
    for i in range(5):
        await store.put(rec(f"j{i}", float(i)), overwrite=False)
    claimed = await store.claim([OWNER], now=10.0, limit=3, lease_owner="x", lease=60)
    assert [r.name for r in claimed] == ["j0", "j1", "j2"]


async def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with SqliteJobStore(path) as first:
        stored = await first.put(rec("j1", 10.0), overwrite=False)
    async with SqliteJobStore(path) as second:
        assert await second.get(OWNER, "j1") == stored


async def test_expired_lease_is_not_claimed_but_reported(store: JobStore) -> None:
    await store.put(rec("j1", 10.0), overwrite=False)
    await store.claim([OWNER], now=10.0, limit=1, lease_owner="x", lease=30)
    assert await store.claim([OWNER], now=100.0, limit=10, lease_owner="y", lease=30) == []
    assert await store.stale_holders([OWNER], now=39.0) == set()
    assert await store.stale_holders([OWNER], now=40.0) == {"x"}


async def test_renew_moves_the_lease_recheck_time(store: JobStore) -> None:
    await store.put(rec("j1", 10.0), overwrite=False)
    await store.put(rec("free", 50.0), overwrite=False)
    await store.claim([OWNER], now=10.0, limit=1, lease_owner="x", lease=30)
    assert await store.renew("x", until=200.0) == 1
    assert await store.stale_holders([OWNER], now=199.0) == set()
    assert await store.next_due([OWNER]) == 50.0
    (claimed,) = await store.claim([OWNER], now=60.0, limit=10, lease_owner="y", lease=30)
    assert claimed.name == "free"


async def test_count_covers_the_owners_asked_leased_records_included(store: JobStore) -> None:
    other = "actorreminder||default||T"
    for name, owner in (("a", OWNER), ("b", OWNER), ("c", other), ("d", "app||default||x")):
        await store.put(rec(name, 1.0, owner=owner), overwrite=False)
    await store.claim([OWNER], now=5.0, limit=1, lease_owner="x", lease=60)
    assert await store.count([OWNER]) == 2
    assert await store.count([OWNER, other]) == 3
    assert await store.count([]) == 0
