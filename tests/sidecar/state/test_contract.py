"""One contract suite for every state store: memory, sqlite on a temp file per test, Redis on the
session's redis-server (flushed per test) and PostgreSQL on the session's cluster (a table per
test).

Where a store's contrib counterpart answers differently, the test says so by the store's type:
``state.redis`` lets an ETag write to a missing key through, keeps a key's TTL on a write without
one and expires on the server's clock; Redis and PostgreSQL refuse a first-write with a plain
error and apply bulk writes item by item, as contrib does.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sidecar.clock import ManualClock
from sidecar.redisconn import parse_settings
from sidecar.state import (
    BulkSetError,
    Delete,
    EtagMismatchError,
    InMemoryStateStore,
    PostgresStateStore,
    RedisStateStore,
    SqliteStateStore,
    SqlTables,
    StateStore,
    StoreFailedError,
    Upsert,
)
from tests._servers import PostgresServer, RedisServer

ITEM_BY_ITEM = ("state.redis", "state.postgresql")  # contrib's DefaultBulkStore

START = 1_800_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _redis(request: pytest.FixtureRequest) -> RedisStateStore:
    server: RedisServer = request.getfixturevalue("redis_server")
    return RedisStateStore("s", parse_settings({"redisHost": server.host}, frozenset()))


def _postgres(request: pytest.FixtureRequest, clock: ManualClock) -> PostgresStateStore:
    server: PostgresServer = request.getfixturevalue("postgres_server")
    table = f"state_{uuid.uuid4().hex[:12]}"
    return PostgresStateStore(
        "s", server.dsn, clock, tables=SqlTables(table, f"m{table}", cleanup_interval=3600.0)
    )


@pytest.fixture(params=["memory", "sqlite", "redis", "postgresql"])
async def store(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[StateStore]:
    if request.param == "memory":
        impl: StateStore = InMemoryStateStore("s", clock)
    elif request.param == "sqlite":
        impl = SqliteStateStore("s", str(tmp_path / "state.db"), clock)
    elif request.param == "redis":
        impl = _redis(request)
    else:
        impl = _postgres(request, clock)
    async with impl:
        if isinstance(impl, RedisStateStore):
            await impl._client.flushdb()
        yield impl


def server_clock(store: StateStore) -> bool:
    """Redis expires keys on its own clock, so the manual clock cannot move them."""
    return store.component_type == "state.redis"


needs_store_clock = "expiry on the server's clock: see test_redis.py for state.redis's TTLs"


async def test_missing_key_reads_none(store: StateStore) -> None:
    assert await store.get("nope") is None


async def test_set_then_get_returns_value_and_etag(store: StateStore) -> None:
    etag = await store.set(Upsert("k", b'"v"'))
    item = await store.get("k")
    assert item is not None
    assert (item.key, item.value, item.etag, item.expire_at) == ("k", b'"v"', etag, None)


async def test_every_write_changes_the_etag(store: StateStore) -> None:
    first = await store.set(Upsert("k", b"1"))
    second = await store.set(Upsert("k", b"1"))
    assert first != second


async def test_matching_etag_updates(store: StateStore) -> None:
    etag = await store.set(Upsert("k", b"1"))
    new = await store.set(Upsert("k", b"2", etag=etag))
    item = await store.get("k")
    assert item is not None and (item.value, item.etag) == (b"2", new)


@pytest.mark.parametrize("setup", [True, False], ids=["stale", "missing"])
async def test_wrong_etag_or_missing_key_mismatches_and_changes_nothing(
    store: StateStore, setup: bool
) -> None:
    if setup:
        await store.set(Upsert("k", b"1"))
    elif store.component_type == "state.redis":
        await store.set(Upsert("k", b"2", etag="999"))  # contrib: nothing there to mismatch
        assert (item := await store.get("k")) is not None and item.value == b"2"
        return
    before = await store.get("k")
    with pytest.raises(EtagMismatchError) as info:
        await store.set(Upsert("k", b"2", etag="999"))
    assert info.value.key == "k"
    assert str(info.value).startswith("possible etag mismatch. error from state store")
    assert await store.get("k") == before


async def test_first_write_inserts_only_when_absent(store: StateStore) -> None:
    await store.set(Upsert("k", b"1", first_write=True))
    refused = StoreFailedError if store.component_type in ITEM_BY_ITEM else EtagMismatchError
    with pytest.raises(refused):  # contrib redis, postgresql: a plain error, not a mismatch
        await store.set(Upsert("k", b"2", first_write=True))
    item = await store.get("k")
    assert item is not None and item.value == b"1"


async def test_first_write_with_etag_is_an_etag_check(store: StateStore) -> None:
    etag = await store.set(Upsert("k", b"1"))
    await store.set(Upsert("k", b"2", etag=etag, first_write=True))
    item = await store.get("k")
    assert item is not None and item.value == b"2"


async def test_binary_values_round_trip(store: StateStore) -> None:
    await store.set(Upsert("k", b"\xff\x00\xfe"))
    item = await store.get("k")
    assert item is not None and item.value == b"\xff\x00\xfe"


async def test_delete_removes_and_missing_delete_is_fine(store: StateStore) -> None:
    await store.set(Upsert("k", b"1"))
    await store.delete(Delete("k"))
    await store.delete(Delete("k"))
    assert await store.get("k") is None


async def test_delete_with_etag(store: StateStore) -> None:
    etag = await store.set(Upsert("k", b"1"))
    with pytest.raises(EtagMismatchError):
        await store.delete(Delete("k", etag="998"))
    assert await store.get("k") is not None
    await store.delete(Delete("k", etag=etag))
    assert await store.get("k") is None
    if store.component_type == "state.redis":
        await store.delete(Delete("k", etag=etag))  # contrib: a missing key cannot mismatch
        return
    with pytest.raises(EtagMismatchError):
        await store.delete(Delete("k", etag=etag))


async def test_delete_first_write_follows_contrib(store: StateStore) -> None:
    await store.set(Upsert("k", b"1"))
    if isinstance(store, InMemoryStateStore):
        with pytest.raises(EtagMismatchError):
            await store.delete(Delete("k", first_write=True))
        assert await store.get("k") is not None
    else:
        await store.delete(Delete("k", first_write=True))
        assert await store.get("k") is None


async def test_ttl_expires_on_the_injected_clock(store: StateStore, clock: ManualClock) -> None:
    if server_clock(store):
        pytest.skip(needs_store_clock)
    await store.set(Upsert("k", b"1", ttl_seconds=10))
    item = await store.get("k")
    assert item is not None and item.expire_at == START + 10
    clock.advance(9.5)
    assert await store.get("k") is not None
    clock.advance(0.5)
    assert await store.get("k") is None
    assert await store.bulk_get(["k"]) == [None]


async def test_expired_row_counts_as_absent(store: StateStore, clock: ManualClock) -> None:
    if server_clock(store):
        pytest.skip(needs_store_clock)
    etag = await store.set(Upsert("k", b"1", ttl_seconds=1))
    clock.advance(2)
    with pytest.raises(EtagMismatchError):
        await store.set(Upsert("k", b"2", etag=etag))
    await store.set(Upsert("k", b"3", first_write=True))
    item = await store.get("k")
    assert item is not None and item.value == b"3"


async def test_overwrite_without_ttl_clears_it(store: StateStore, clock: ManualClock) -> None:
    if server_clock(store):
        pytest.skip(needs_store_clock + " (there a write without a TTL keeps it, as in contrib)")
    await store.set(Upsert("k", b"1", ttl_seconds=5))
    await store.set(Upsert("k", b"2"))
    clock.advance(100)
    item = await store.get("k")
    assert item is not None and item.expire_at is None


@pytest.mark.parametrize("ttl", [0, -1])
async def test_non_positive_ttl_means_no_expiry(store: StateStore, ttl: float) -> None:
    await store.set(Upsert("k", b"1", ttl_seconds=ttl))
    item = await store.get("k")
    assert item is not None and item.expire_at is None


async def test_bulk_get_keeps_request_order(store: StateStore) -> None:
    await store.set(Upsert("b", b"2"))
    await store.set(Upsert("a", b"1"))
    items = await store.bulk_get(["a", "missing", "b"])
    assert [i.value if i else None for i in items] == [b"1", None, b"2"]
    assert await store.bulk_get([]) == []


async def test_transaction_applies_in_order(store: StateStore) -> None:
    await store.set(Upsert("gone", b"0"))
    await store.transact([Upsert("a", b"1"), Upsert("a", b"2"), Delete("gone")])
    item = await store.get("a")
    assert item is not None and item.value == b"2"
    assert await store.get("gone") is None


async def test_failed_transaction_changes_nothing(store: StateStore) -> None:
    etag = await store.set(Upsert("a", b"1"))
    ops: list[Upsert | Delete] = [Upsert("a", b"2", etag=etag), Upsert("new", b"x")]
    ops.append(Delete("a", etag="998"))
    with pytest.raises(EtagMismatchError):
        await store.transact(ops)
    item = await store.get("a")
    assert item is not None and (item.value, item.etag) == (b"1", etag)
    assert await store.get("new") is None


async def test_bulk_set_is_all_or_nothing_and_lists_every_failure(store: StateStore) -> None:
    await store.set(Upsert("a", b"1"))
    await store.set(Upsert("c", b"1"))
    ops = [Upsert("a", b"2", etag="998"), Upsert("b", b"2"), Upsert("c", b"2", etag="999")]
    with pytest.raises(BulkSetError) as info:
        await store.bulk_set(ops)
    assert [e.key for e in info.value.errors] == ["a", "c"]
    if store.component_type in ITEM_BY_ITEM:  # contrib: item by item, "b" is kept
        assert (item := await store.get("b")) is not None and item.value == b"2"
        await store.delete(Delete("b"))
    assert await store.get("b") is None
    await store.bulk_set([Upsert("b", b"2"), Upsert("c", b"3")])
    assert [i.value if i else None for i in await store.bulk_get(["b", "c"])] == [b"2", b"3"]


def test_capabilities(clock: ManualClock) -> None:
    # daprd 1.18.3 lists these for state.in-memory, ACTOR whether or not it is the actor store
    memory = ("ETAG", "TRANSACTIONAL", "TTL", "DELETE_WITH_PREFIX", "KEYS_LIKE", "ACTOR")
    assert InMemoryStateStore("m", clock).capabilities == memory
    assert InMemoryStateStore("m", clock, actor_state_store=True).capabilities == memory
