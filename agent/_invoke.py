"""Service invocation of the notifier through the sidecar."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from ._sidecar_client import SidecarClient, SidecarError

logger = logging.getLogger(__name__)


class NotifierClient:
    """``POST {sidecar}/v1.0/invoke/{notifier}/method/notifications``; the actor's ``Notifier``."""

    def __init__(self, sidecar: SidecarClient, app_id: str) -> None:
        self._sidecar = sidecar
        self._path = f"v1.0/invoke/{app_id}/method/notifications"

    async def send(self, notification: dict[str, Any]) -> None:
        await self._sidecar.request("POST", self._path, json_body=notification)

    async def delivery_status(self, agent_id: str, task_id: str | None) -> dict[str, Any] | None:
        """The notifier's record of each notification (status, deliveries) by id; None when the
        notifier cannot be asked (down, or its history needs an API key the agent lacks)."""
        query = urlencode({"agent_id": agent_id, **({"task_id": task_id} if task_id else {})})
        try:
            response = await self._sidecar.request("GET", f"{self._path}?{query}")
            notes = response.json()["notifications"]
        except (SidecarError, ValueError, KeyError) as exc:
            logger.info("no delivery status from the notifier: %s", exc)
            return None
        return {n["id"]: n for n in notes}
