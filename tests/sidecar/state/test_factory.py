"""build_state_store: component type/version/metadata → a configured store."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.clock import ManualClock
from sidecar.state import InMemoryStateStore, SqliteStateStore, build_state_store
from sidecar.state._factory import parse_go_duration, sqlite_target


def _build(kind: str, meta: dict[str, str], base: Path = Path("/base")) -> object:
    return build_state_store("st", kind, "v1", meta, ManualClock(), base_dir=base)


def test_in_memory_actor_store() -> None:
    store = _build("state.in-memory", {"actorStateStore": "true"})
    assert isinstance(store, InMemoryStateStore)
    assert store.actor_state_store and "ACTOR" in store.capabilities


def test_sqlite_metadata_is_case_insensitive_and_resolved(tmp_path: Path) -> None:
    meta = {"ConnectionString": "data/s.db", "tableName": "t1", "keyPrefix": "Name"}
    store = _build("state.sqlite", meta, tmp_path)
    assert isinstance(store, SqliteStateStore)
    assert store.path == f"file:{tmp_path}/data/s.db"
    assert (store.table, store.key_prefix, store.actor_state_store) == ("t1", "name", False)


@pytest.mark.parametrize(
    ("conn", "expected"),
    [
        (":memory:", "file::memory:?cache=shared"),
        ("/abs/x.db", "file:/abs/x.db"),
        ("file:rel.db?mode=ro&_txlock=immediate", "file:/base/rel.db?mode=ro"),
        ("file:///abs/x.db", "file:///abs/x.db"),
        ("a b#.db", "file:/base/a%20b%23.db"),
    ],
)
def test_sqlite_targets(conn: str, expected: str) -> None:
    assert sqlite_target(conn, Path("/base"))[0] == expected


@pytest.mark.parametrize(
    ("kind", "meta", "message"),
    [
        ("state.mongodb", {}, "couldn't find state store state.mongodb/v1"),
        ("state.redis", {}, "redisHost is required"),
        ("state.sqlite", {}, "missing connection string"),
        ("state.sqlite", {"url": "x", "timeout": "500ms"}, "must be greater than 1s"),
        ("state.sqlite", {"url": "x", "tableName": "a-b"}, "invalid identifier: a-b"),
        ("state.sqlite", {"url": "x?_pragma=busy_timeout(1)"}, "forbidden option"),
        ("state.sqlite", {"url": "x", "busyTimeout": "soon"}, 'invalid duration "soon"'),
        ("state.in-memory", {"keyPrefix": "a||b"}, "can't contain '||'"),
    ],
)
def test_refusals(kind: str, meta: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("|", r"\|")):
        _build(kind, meta)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("20s", 20.0), ("1m30s", 90.0), ("500ms", 0.5), ("0", 0.0), ("1h", 3600.0), ("x", None)],
)
def test_go_durations(raw: str, seconds: float | None) -> None:
    assert parse_go_duration(raw) == seconds


def test_integer_seconds_are_accepted() -> None:
    store = _build("state.sqlite", {"url": "x", "timeoutInSeconds": "30", "cleanupInterval": "5"})
    assert isinstance(store, SqliteStateStore)
