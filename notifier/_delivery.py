"""Delivery channels: a log line always; a webhook POST (with retries) when configured."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ._errors import DeliveryError
from ._metrics import NotifierMetrics

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


class Deliverer:
    def __init__(
        self,
        client: httpx.AsyncClient,
        webhook_url: str | None,
        attempts: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        metrics: NotifierMetrics | None = None,
    ) -> None:
        self._client = client
        self._metrics = metrics or NotifierMetrics()
        self._url = webhook_url
        self._attempts = max(1, attempts)
        self._backoff = backoff_seconds
        self._sleep = sleep

    async def deliver(self, notification: dict[str, Any]) -> None:
        logger.info(
            "NOTIFY %s [%s] to %s: %s",
            notification["id"],
            notification.get("kind", "?"),
            notification.get("assignee", "?"),
            notification.get("message", ""),
        )
        self._metrics.outcome("log", "delivered")
        if self._url is not None:
            try:
                await self._post_with_retries(self._url, notification)
            except DeliveryError:
                self._metrics.outcome("webhook", "failed")
                raise
            self._metrics.outcome("webhook", "delivered")

    async def _post_with_retries(self, url: str, notification: dict[str, Any]) -> None:
        reason = ""
        for attempt in range(1, self._attempts + 1):
            reason = await self._post(url, notification)
            if not reason:
                return
            logger.warning("webhook attempt %d for %s: %s", attempt, notification["id"], reason)
            if attempt < self._attempts:
                await self._sleep(self._backoff * 2 ** (attempt - 1))
        raise DeliveryError(notification["id"], url, reason)

    async def _post(self, url: str, notification: dict[str, Any]) -> str:
        """An empty string on success, else why it failed."""
        try:
            response = await self._client.post(url, json=notification)
        except httpx.TransportError as exc:
            return repr(exc)
        return "" if response.is_success else f"status {response.status_code}"
