"""Service invocation of the notifier through the sidecar."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

from ._sidecar_client import SidecarClient, SidecarError

logger = logging.getLogger(__name__)


class NotifierClient:
    """``POST {sidecar}/v1.0/invoke/{notifier}/method/notifications``; the actor's ``Notifier``."""

    def __init__(self, sidecar: SidecarClient, app_id: str) -> None:
        self._sidecar = sidecar
        self._path = f"v1.0/invoke/{app_id}/method/notifications"
        self._dead = f"v1.0/invoke/{app_id}/method/dead-letters"

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

    async def dead_letters(self) -> list[dict[str, Any]] | None:
        """The notifier's dead letters; None when it cannot be asked (as ``delivery_status``)."""
        try:
            notes: list[dict[str, Any]] = (await self._sidecar.request("GET", self._dead)).json()[
                "notifications"
            ]
        except (SidecarError, ValueError, KeyError) as exc:
            logger.info("no dead letters from the notifier: %s", exc)
            return None
        return notes

    async def replay(self, notification_id: str) -> None:
        """Deliver a dead letter again; the notifier's refusal raises ``SidecarError``."""
        path = f"{self._dead}/{quote(notification_id, safe='')}/replay"
        await self._sidecar.request("POST", path)
