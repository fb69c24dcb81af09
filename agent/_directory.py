"""The directory of agents, on the agent's Dapr state store: the agent ids spread over
``SHARDS`` keys (``pm-agents-00`` …), each a list appended to under optimistic concurrency
(ETag). The actor adds its agent on its first assign; ``GET /agents`` and the periodic
self-check read every shard in one bulk request.

One key for all agents made every new agent's first assign race every other one on that key:
a hundred new agents at once ran out of attempts (409 contention). Spreading the agents over
keys, and backing off with jitter between attempts, keeps the races short. ``pm-agents``, the
single key of earlier versions, is still read."""

from __future__ import annotations

import asyncio
import random
import zlib
from typing import Any

from ._sidecar_client import SidecarClient, SidecarError

LEGACY_KEY = "pm-agents"
SHARDS = 16
_ATTEMPTS = 30
_BACKOFF_CAP = 0.25  # seconds


def shard_key(agent_id: str) -> str:
    """The key that lists ``agent_id``: the same in every process (crc32, not ``hash``)."""
    return f"{LEGACY_KEY}-{zlib.crc32(agent_id.encode()) % SHARDS:02d}"


KEYS = [LEGACY_KEY, *(f"{LEGACY_KEY}-{n:02d}" for n in range(SHARDS))]


class StateDirectory:
    def __init__(self, sidecar: SidecarClient, store: str) -> None:
        self._sidecar = sidecar
        self._path = f"v1.0/state/{store}"

    async def agents(self) -> list[str]:
        response = await self._sidecar.request(
            "POST", f"{self._path}/bulk", json_body={"keys": KEYS}
        )
        by_key = {item["key"]: item.get("data") or [] for item in response.json()}
        listed = [agent for key in KEYS for agent in by_key.get(key, [])]
        return list(dict.fromkeys(listed))

    async def add(self, agent_id: str) -> None:
        key = shard_key(agent_id)
        for attempt in range(_ATTEMPTS):
            listed, etag = await self._read(key)
            if agent_id in listed:
                return
            if await self._write(key, [*listed, agent_id], etag):
                return
            await asyncio.sleep(random.uniform(0, min(_BACKOFF_CAP, 0.005 * 2**attempt)))
        raise SidecarError(409, "ERR_STATE_SAVE", f"could not add {agent_id} to {key} (contention)")

    async def _read(self, key: str) -> tuple[list[str], str | None]:
        response = await self._sidecar.request("GET", f"{self._path}/{key}")
        if response.status_code == 204 or not response.content:
            return [], None
        return list(response.json()), response.headers.get("etag")

    async def _write(self, key: str, listed: list[str], etag: str | None) -> bool:
        item: dict[str, Any] = {"key": key, "value": listed}
        item["options"] = {"concurrency": "first-write"}
        if etag is not None:
            item["etag"] = etag
        try:
            await self._sidecar.request("POST", self._path, json_body=[item])
        except SidecarError as exc:
            if exc.status == 409 or (etag is None and await self._exists(key)):
                return False  # someone else wrote it first: read it again and retry
            raise
        return True

    async def _exists(self, key: str) -> bool:
        """After a refused first insert: whether the key exists now. daprd refuses a first-write
        onto an existing key with 409 on sqlite but 500 on Redis and PostgreSQL."""
        _, etag = await self._read(key)
        return etag is not None
