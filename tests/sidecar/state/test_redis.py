"""``state.redis`` beyond the contract: contrib's data layout, TTLs, ETag rules and metadata."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from sidecar._runner import free_port
from sidecar.clock import ManualClock
from sidecar.redisconn import RedisConfigError, parse_settings
from sidecar.state import (
    Delete,
    EtagInvalidError,
    EtagMismatchError,
    RedisStateStore,
    StoreFailedError,
    Upsert,
    build_state_store,
)
from tests._servers import RedisServer


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=redis_server.port)
    await client.flushdb()
    yield client
    await client.aclose()


def _store(server: RedisServer, **extra: str) -> RedisStateStore:
    meta = {"redisHost": server.host, **extra}
    store = build_state_store("s", "state.redis", "v1", meta, ManualClock(0), base_dir=Path("."))
    assert isinstance(store, RedisStateStore)
    return store


@pytest.fixture
async def store(redis_server: RedisServer, raw: aioredis.Redis) -> AsyncIterator[RedisStateStore]:
    async with _store(redis_server) as impl:
        yield impl


async def test_a_key_is_a_hash_of_data_and_version(
    store: RedisStateStore, raw: aioredis.Redis
) -> None:
    assert await store.set(Upsert("app||k", b'{"a":1}')) == "1"
    assert await store.set(Upsert("app||k", b'"two"')) == "2"
    assert await raw.hgetall("app||k") == {b"data": b'"two"', b"version": b"2"}


async def test_reads_a_hash_written_in_contribs_layout(
    store: RedisStateStore, raw: aioredis.Redis
) -> None:
    await raw.hset("app||k", mapping={"data": '"hello"', "version": "7"})
    item = await store.get("app||k")
    assert item is not None and (item.value, item.etag) == (b'"hello"', "7")
    await store.set(Upsert("app||k", b"1", etag="7"))
    assert await raw.hget("app||k", "version") == b"8"


async def test_a_hash_without_its_fields_is_an_error(
    store: RedisStateStore, raw: aioredis.Redis
) -> None:
    await raw.hset("app||k", "other", "x")
    with pytest.raises(StoreFailedError, match="required hash field 'data' or 'version'"):
        await store.get("app||k")


async def test_first_write_marks_the_key_and_then_refuses_writes_without_etag(
    store: RedisStateStore, raw: aioredis.Redis
) -> None:
    await store.set(Upsert("k", b"1"))
    await store.set(Upsert("k", b"2", first_write=True))  # not marked yet: goes through
    assert await raw.hget("k", "first-write") == b"0"
    with pytest.raises(StoreFailedError, match="failed to set key k"):
        await store.set(Upsert("k", b"3"))  # any write without an ETag, as in contrib
    assert await store.set(Upsert("k", b"4", etag="2")) == "3"


async def test_a_non_integer_etag_is_invalid_for_a_write_and_a_mismatch_for_a_delete(
    store: RedisStateStore,
) -> None:
    await store.set(Upsert("k", b"1"))
    with pytest.raises(EtagInvalidError, match='strconv.Atoi: parsing "abc": invalid syntax'):
        await store.set(Upsert("k", b"2", etag="abc"))
    with pytest.raises(EtagMismatchError, match="failed to delete k"):
        await store.delete(Delete("k", etag="abc"))


async def test_ttl_is_set_kept_and_removed_on_the_server(
    store: RedisStateStore, raw: aioredis.Redis
) -> None:
    await store.set(Upsert("k", b"1", ttl_seconds=100))
    assert 0 < await raw.ttl("k") <= 100
    await store.set(Upsert("k", b"2"))  # contrib: a write without ttlInSeconds keeps it
    assert 0 < await raw.ttl("k") <= 100
    await store.set(Upsert("k", b"3", ttl_seconds=-1))
    assert await raw.ttl("k") == -1
    await store.transact([Upsert("k", b"4", ttl_seconds=50)])
    assert 0 < await raw.ttl("k") <= 50


async def test_the_components_ttl_applies_when_the_request_gives_none(
    redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    async with _store(redis_server, ttlInSeconds="30") as store:
        await store.set(Upsert("k", b"1"))
        assert 0 < await raw.ttl("k") <= 30
        await store.set(Upsert("k", b"1", ttl_seconds=0))
        assert await raw.ttl("k") == -1


async def test_request_ttl_parses_as_contrib_does(store: RedisStateStore) -> None:
    assert store.parse_ttl({"ttlInSeconds": "-5"}) == -5
    with pytest.raises(ValueError, match="failed to parse ttl from metadata: strconv.ParseInt"):
        store.parse_ttl({"ttlInSeconds": "1.5"})


async def test_a_key_of_another_type_is_replaced_by_a_write(
    store: RedisStateStore, raw: aioredis.Redis
) -> None:
    await raw.set("k", "plain")
    assert await store.set(Upsert("k", b"1")) == "1"
    assert await raw.hgetall("k") == {b"data": b"1", b"version": b"1"}


async def test_a_transaction_sees_its_own_writes(store: RedisStateStore) -> None:
    await store.transact([Upsert("k", b"1"), Upsert("k", b"2", etag="1"), Delete("k", etag="2")])
    assert await store.get("k") is None


def test_capabilities_as_daprd_lists_them(redis_server: RedisServer) -> None:
    assert _store(redis_server).capabilities == ("ETAG", "TRANSACTIONAL", "TTL", "KEYS_LIKE")
    actor = _store(redis_server, actorStateStore="true")
    assert actor.capabilities == ("ETAG", "TRANSACTIONAL", "TTL", "KEYS_LIKE", "ACTOR")


async def test_an_unreachable_server_fails_open_naming_the_address() -> None:
    port = free_port()
    store = RedisStateStore("s", parse_settings({"redisHost": f"127.0.0.1:{port}"}, frozenset()))
    with pytest.raises(StoreFailedError) as info:
        await store.open()
    assert str(info.value).startswith(f"redis store: error connecting to redis at 127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("meta", "host", "port"),
    [
        ({"redisHost": "localhost:6380"}, "localhost", 6380),
        ({"redisHost": "localhost"}, "localhost", 6379),
        ({"redisHost": "localhost", "redisPort": "7000"}, "localhost", 7000),
        ({"RedisHost": "[::1]:7001"}, "::1", 7001),
    ],
)
def test_host_and_port(meta: dict[str, str], host: str, port: int) -> None:
    settings = parse_settings(meta, frozenset())
    assert (settings.host, settings.port) == (host, port)


def test_settings_decode_contribs_names_and_durations() -> None:
    meta = {"redisHost": "h:1", "redisPassword": "pw", "redisUsername": "u", "redisDB": "3"}
    meta |= {"enableTLS": "true", "dialTimeout": "2s", "readTimeout": "1500", "poolSize": "4"}
    s = parse_settings(meta, frozenset())
    assert (s.password, s.username, s.db, s.tls, s.pool_size) == ("pw", "u", 3, True, 4)
    assert (s.dial_timeout, s.read_timeout, s.write_timeout) == (2.0, 1.5, 1.5)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({}, "redisHost is required"),
        ({"redisHost": "h:1", "redisPort": "2"}, "already contains port 1"),
        ({"redisHost": "h", "redisType": "cluster"}, "redisType 'cluster' is not supported"),
        ({"redisHost": "h", "failover": "true"}, "'failover' is not supported"),
        ({"redisHost": "h", "dialTimeout": "soon"}, 'invalid duration "soon"'),
        ({"redisHost": "h", "redisDB": "x"}, "redisDB"),
    ],
)
def test_bad_metadata_is_refused(meta: dict[str, str], message: str) -> None:
    with pytest.raises(RedisConfigError, match=message):
        parse_settings(meta, frozenset())


def test_unknown_metadata_is_warned_about_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sidecar.redisconn"):
        parse_settings({"redisHost": "h", "bogusKey": "1", "idleTimeout": "5m"}, frozenset())
    assert "unknown redis metadata 'boguskey'; ignored" in caplog.text
    assert "'idletimeout' is not supported by this runtime; ignored" in caplog.text
