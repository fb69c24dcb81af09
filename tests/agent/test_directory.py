"""The agents directory (one ``pm-agents`` key) under concurrent first inserts, on every store.

daprd refuses a first-write onto an existing key with 409 on state.sqlite but with 500
``ERR_STATE_SAVE`` on state.redis and state.postgresql: the HA test on Redis failed its assigns
with that 500 when two agents were added to the directory at once.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from agent._directory import StateDirectory
from agent._sidecar_client import SidecarError


class RacingStore:
    """Another writer stores the key just before our first insert lands."""

    def __init__(self, conflict_status: int) -> None:
        self.conflict_status = conflict_status
        self.value: list[str] | None = None
        self.etag = ""
        self.raced = False

    async def request(self, method: str, path: str, json_body: Any = None) -> httpx.Response:
        if method == "GET":
            if self.value is None:
                return httpx.Response(204)
            return httpx.Response(200, content=json.dumps(self.value), headers={"etag": self.etag})
        (item,) = json_body
        if not self.raced:  # the other agent's add wins the race
            self.raced = True
            self._store(["other"])
        if item.get("etag") != (self.etag if self.value is not None else None):
            code = 409 if "etag" in item else self.conflict_status
            raise SidecarError(code, "ERR_STATE_SAVE", "failed to set key pm-agent||pm-agents")
        self._store(item["value"])
        return httpx.Response(204)

    def _store(self, value: list[str]) -> None:
        self.value, self.etag = value, uuid.uuid4().hex


@pytest.mark.parametrize("conflict_status", [409, 500], ids=["sqlite", "redis-postgresql"])
async def test_a_lost_first_insert_is_retried_with_the_winners_etag(conflict_status: int) -> None:
    store = RacingStore(conflict_status)
    directory = StateDirectory(store, "statestore")  # type: ignore[arg-type]
    await directory.add("agent-1")
    assert await directory.agents() == ["other", "agent-1"]


async def test_a_store_failure_that_is_no_conflict_is_not_hidden() -> None:
    class Down(RacingStore):
        async def request(self, method: str, path: str, json_body: Any = None) -> httpx.Response:
            if method == "GET":
                return httpx.Response(204)
            raise SidecarError(500, "ERR_STATE_SAVE", "connection refused")

    with pytest.raises(SidecarError, match="connection refused"):
        await StateDirectory(Down(500), "statestore").add("agent-1")  # type: ignore[arg-type]
