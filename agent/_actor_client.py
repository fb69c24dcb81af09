"""The SDK's actor client contract over the shared httpx client (instead of its aiohttp one).

Used both by the actor runtime (state, reminders, timers) and by ``ActorProxy`` callers, so every
outbound request of the app goes through one client. Same URLs and bodies as the SDK's
``DaprActorHttpClient`` (reference: dapr-sidecar.md §10.4), minus its blocking health wait.
"""

from __future__ import annotations

from dapr.clients.base import DAPR_REENTRANCY_ID_HEADER, DaprActorClientBase
from dapr.common.reentrancy_context import reentrancy_ctx

from ._sidecar_client import SidecarClient


class HttpxActorClient(DaprActorClientBase):
    def __init__(self, sidecar: SidecarClient) -> None:
        self._sidecar = sidecar

    async def invoke_method(
        self, actor_type: str, actor_id: str, method: str, data: bytes | None = None
    ) -> bytes:
        reentrancy_id = reentrancy_ctx.get(None)
        headers = {DAPR_REENTRANCY_ID_HEADER: reentrancy_id} if reentrancy_id else {}
        url = f"{_base(actor_type, actor_id)}/method/{method}"
        response = await self._sidecar.request("POST", url, content=data, headers=headers)
        return response.content

    async def save_state_transactionally(self, actor_type: str, actor_id: str, data: bytes) -> None:
        await self._sidecar.request("PUT", f"{_base(actor_type, actor_id)}/state", content=data)

    async def get_state(self, actor_type: str, actor_id: str, name: str) -> bytes:
        response = await self._sidecar.request("GET", f"{_base(actor_type, actor_id)}/state/{name}")
        return response.content

    async def register_reminder(
        self, actor_type: str, actor_id: str, name: str, data: bytes
    ) -> None:
        url = f"{_base(actor_type, actor_id)}/reminders/{name}"
        await self._sidecar.request("PUT", url, content=data)

    async def unregister_reminder(self, actor_type: str, actor_id: str, name: str) -> None:
        await self._sidecar.request("DELETE", f"{_base(actor_type, actor_id)}/reminders/{name}")

    async def register_timer(self, actor_type: str, actor_id: str, name: str, data: bytes) -> None:
        await self._sidecar.request(
            "PUT", f"{_base(actor_type, actor_id)}/timers/{name}", content=data
        )

    async def unregister_timer(self, actor_type: str, actor_id: str, name: str) -> None:
        await self._sidecar.request("DELETE", f"{_base(actor_type, actor_id)}/timers/{name}")


def _base(actor_type: str, actor_id: str) -> str:
    return f"v1.0/actors/{actor_type}/{actor_id}"
