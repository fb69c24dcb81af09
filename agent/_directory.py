"""The directory of agents: one state key (``pm-agents``, a list of agent ids) on the agent's
Dapr state store, appended to once per agent under optimistic concurrency (ETag). The actor
adds its agent on its first assign; ``GET /agents`` and the periodic self-check read it."""

from __future__ import annotations

from typing import Any

from ._sidecar_client import SidecarClient, SidecarError

KEY = "pm-agents"
_ATTEMPTS = 10


class StateDirectory:
    def __init__(self, sidecar: SidecarClient, store: str) -> None:
        self._sidecar = sidecar
        self._path = f"v1.0/state/{store}"

    async def agents(self) -> list[str]:
        listed, _ = await self._read()
        return listed

    async def add(self, agent_id: str) -> None:
        for _ in range(_ATTEMPTS):
            listed, etag = await self._read()
            if agent_id in listed:
                return
            if await self._write([*listed, agent_id], etag):
                return
        raise SidecarError(409, "ERR_STATE_SAVE", f"could not add {agent_id} to {KEY} (contention)")

    async def _read(self) -> tuple[list[str], str | None]:
        response = await self._sidecar.request("GET", f"{self._path}/{KEY}")
        if response.status_code == 204 or not response.content:
            return [], None
        return list(response.json()), response.headers.get("etag")

    async def _write(self, listed: list[str], etag: str | None) -> bool:
        item: dict[str, Any] = {"key": KEY, "value": listed}
        item["options"] = {"concurrency": "first-write"}
        if etag is not None:
            item["etag"] = etag
        try:
            await self._sidecar.request("POST", self._path, json_body=[item])
        except SidecarError as exc:
            if exc.status == 409 or (etag is None and await self._exists()):
                return False  # someone else wrote it first: read it again and retry
            raise
        return True

    async def _exists(self) -> bool:
        """After a refused first insert: whether the key exists now. daprd refuses a first-write
        onto an existing key with 409 on sqlite but 500 on Redis and PostgreSQL."""
        _, etag = await self._read()
        return etag is not None
