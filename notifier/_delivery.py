"""Delivery: a log line for every notification, then each recipient's channel (see
:mod:`notifier._routing`), retried with exponential backoff and jitter. Every attempt is
recorded with its outcome; the deliverer never raises for a channel that keeps failing, it
reports it (the service turns that into a dead letter).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ._channels import Channel, ChannelFailure
from ._metrics import NotifierMetrics
from ._routing import ChannelKind, RoutingTable

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
Jitter = Callable[[float], float]
DELIVERED, FAILED = "delivered", "failed"


def equal_jitter(delay: float) -> float:
    """Half the delay, plus up to the other half at random (spreads retries of many senders)."""
    return delay / 2 + random.uniform(0, delay / 2)


class Deliverer:
    def __init__(
        self,
        table: RoutingTable,
        channels: dict[ChannelKind, Channel],
        attempts: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        jitter: Jitter = equal_jitter,
        now: Callable[[], datetime] | None = None,
        metrics: NotifierMetrics | None = None,
    ) -> None:
        self._metrics = metrics or NotifierMetrics()
        self._table = table
        self._channels = channels
        self._attempts = max(1, attempts)
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._jitter = jitter
        self._now = now or (lambda: datetime.now(UTC))

    async def deliver(
        self, notification: dict[str, Any], recipients: Sequence[str]
    ) -> list[dict[str, Any]]:
        """One delivery record per recipient: channel, status, attempts."""
        logger.info(
            "NOTIFY %s [%s] to %s: %s",
            notification["id"],
            notification.get("kind", "?"),
            ", ".join(recipients),
            notification.get("message", ""),
        )
        return [await self.deliver_to(notification, r, []) for r in recipients]

    async def deliver_to(
        self, notification: dict[str, Any], recipient: str, earlier: list[dict[str, Any]]
    ) -> dict[str, Any]:
        route = self._table.route_for(recipient)
        attempts = list(earlier)
        for number in range(1, self._attempts + 1):
            error = await self._attempt(notification, recipient, route)
            attempts.append({"at": self._stamp(), "ok": not error, "error": error or None})
            if not error:
                self._metrics.outcome(str(route.channel), "delivered")
                return _record(recipient, route.describe(), DELIVERED, attempts)
            logger.warning("%s attempt %d for %s: %s", route.channel, number, recipient, error)
            if number < self._attempts:
                await self._sleep(self._jitter(self._backoff * 2 ** (number - 1)))
        self._metrics.outcome(str(route.channel), "failed")
        return _record(recipient, route.describe(), FAILED, attempts)

    async def _attempt(self, notification: dict[str, Any], recipient: str, route: Any) -> str:
        try:
            await self._channels[route.channel].send(notification, recipient, route)
        except ChannelFailure as exc:
            return str(exc)
        return ""

    def _stamp(self) -> str:
        return self._now().astimezone(UTC).isoformat().replace("+00:00", "Z")


def recipients_of(notification: dict[str, Any]) -> list[str]:
    listed = notification.get("recipients")
    if isinstance(listed, list) and listed:
        return [str(r) for r in listed]
    return [str(notification.get("assignee") or "?")]


def _record(recipient: str, channel: str, status: str, attempts: list[Any]) -> dict[str, Any]:
    return {"recipient": recipient, "channel": channel, "status": status, "attempts": attempts}
