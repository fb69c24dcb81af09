"""Service invocation of the notifier through the sidecar."""

from __future__ import annotations

from typing import Any

from ._sidecar_client import SidecarClient


class NotifierClient:
    """``POST {sidecar}/v1.0/invoke/{notifier}/method/notifications``; the actor's ``Notifier``."""

    def __init__(self, sidecar: SidecarClient, app_id: str) -> None:
        self._sidecar = sidecar
        self._path = f"v1.0/invoke/{app_id}/method/notifications"

    async def send(self, notification: dict[str, Any]) -> None:
        await self._sidecar.request("POST", self._path, json_body=notification)
