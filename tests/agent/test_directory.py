"""The agents directory (``pm-agents-NN`` keys) under concurrent first inserts, on every store.

daprd refuses a first-write onto an existing key with 409 on state.sqlite but with 500
``ERR_STATE_SAVE`` on state.redis and state.postgresql: the HA test on Redis failed its assigns
with that 500 when two agents were added to the directory at once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from agent._directory import LEGACY_KEY, SHARDS, StateDirectory, shard_key
from agent._sidecar_client import SidecarError


@pytest.mark.parametrize("conflict_status", [409, 500], ids=["sqlite", "redis-postgresql"])
async def test_a_lost_first_insert_is_retried_with_the_winners_etag(conflict_status: int) -> None:
    store = RacingStore(conflict_status)
    directory = StateDirectory(store, "statestore")  # type: ignore[arg-type]
    await directory.add("agent-1")
    assert store.raced
    assert await directory.agents() == ["other", "agent-1"]


async def test_a_store_failure_that_is_no_conflict_is_not_hidden() -> None:
    class Down(EtagStore):
        async def request(self, method: str, path: str, json_body: Any = None) -> httpx.Response:
            if method == "GET":
                return httpx.Response(204)
            raise SidecarError(500, "ERR_STATE_SAVE", "connection refused")

    with pytest.raises(SidecarError, match="connection refused"):
        await StateDirectory(Down(), "statestore").add("agent-1")  # type: ignore[arg-type]


class EtagStore:
    """A store that keeps each key's ETag and refuses a stale or first write as daprd does on
    state.sqlite (409), answering bulk reads; every call yields to the loop like a real one."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[list[str], str]] = {}

    async def request(self, method: str, path: str, json_body: Any = None) -> httpx.Response:
        await asyncio.sleep(0)
        if path.endswith("/bulk"):
            return httpx.Response(200, content=json.dumps(self._bulk(json_body["keys"])))
        if method == "GET":
            return self._get(path.rsplit("/", 1)[1])
        (item,) = json_body
        await asyncio.sleep(0)
        current = self.values.get(item["key"])
        if item.get("etag") != (current[1] if current else None):
            raise SidecarError(409, "ERR_STATE_SAVE", f"possible etag mismatch {item['key']}")
        self.values[item["key"]] = (item["value"], uuid.uuid4().hex)
        return httpx.Response(204)

    def _get(self, key: str) -> httpx.Response:
        if key not in self.values:
            return httpx.Response(204)
        value, etag = self.values[key]
        return httpx.Response(200, content=json.dumps(value), headers={"etag": etag})

    def _bulk(self, keys: list[str]) -> list[dict[str, Any]]:
        found = [(key, self.values.get(key)) for key in keys]
        return [{"key": k, "data": v[0], "etag": v[1]} if v else {"key": k} for k, v in found]


async def test_a_hundred_agents_listed_at_once_are_all_listed() -> None:
    """agent_e2e assigns to 100 new agents from 16 clients: every actor's first assign adds its
    agent at once, and ten read-then-write attempts on one key were not enough (409 contention)."""
    store = EtagStore()
    directory = StateDirectory(store, "statestore")  # type: ignore[arg-type]
    names = [f"load-{i}" for i in range(100)]
    await asyncio.gather(*(directory.add(name) for name in names))
    assert sorted(await directory.agents()) == sorted(names)


class RacingStore(EtagStore):
    """Another writer lists ``other`` on the same key just before our first insert lands; a
    refused first insert answers ``conflict_status``."""

    def __init__(self, conflict_status: int) -> None:
        super().__init__()
        self.conflict_status = conflict_status
        self.raced = False

    async def request(self, method: str, path: str, json_body: Any = None) -> httpx.Response:
        if method == "POST" and not path.endswith("/bulk") and not self.raced:
            self.raced = True
            self.values[json_body[0]["key"]] = (["other"], uuid.uuid4().hex)
            if "etag" not in json_body[0]:
                raise SidecarError(self.conflict_status, "ERR_STATE_SAVE", "failed to set key")
        return await super().request(method, path, json_body)


async def test_the_single_key_of_earlier_versions_is_still_read() -> None:
    store = EtagStore()
    store.values[LEGACY_KEY] = (["old-1", "old-2"], "1")
    directory = StateDirectory(store, "statestore")  # type: ignore[arg-type]
    await directory.add("new-1")
    assert await directory.agents() == ["old-1", "old-2", "new-1"]


def test_an_agent_always_lands_on_the_same_key() -> None:
    assert shard_key("alice") == shard_key("alice")
    assert len({shard_key(f"a{i}") for i in range(200)}) == SHARDS
