"""Idempotent intake: each notification id is stored once (first-write) and delivered once.

A repeat of an id that was delivered is acknowledged without delivering again; a repeat of an
id whose earlier delivery failed is delivered now (that earlier attempt answered non-2xx).

History: one index key per agent (``notifications-index-<agent>``) lists its notification ids,
and ``notifications-agents`` lists the agents. An agent's notifications come from its one actor,
whose calls never overlap, so index writes rarely contend; a single index of every id would be
a hot key rewritten whole on every notification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from ._delivery import Deliverer
from ._errors import StateStoreError
from ._metrics import NotifierMetrics
from ._store import StateStore, Stored

logger = logging.getLogger(__name__)
AGENTS_KEY = "notifications-agents"
_INDEX_ATTEMPTS = 10


class Intake(StrEnum):
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"


class NotificationService:
    def __init__(
        self,
        store: StateStore,
        deliverer: Deliverer,
        now: Callable[[], datetime] | None = None,
        metrics: NotifierMetrics | None = None,
    ) -> None:
        self._store = store
        self._deliverer = deliverer
        self._now = now or (lambda: datetime.now(UTC))
        self._metrics = metrics or NotifierMetrics()

    async def accept(self, notification: dict[str, Any]) -> Intake:
        nid = notification["id"]
        stored = await self._stored_or_insert(_key(nid), notification)
        if stored is not None and stored.value.get("delivered"):
            logger.info("notification %s already delivered; acknowledging", nid)
            self._metrics.outcome("intake", "duplicate")
            return Intake.DUPLICATE
        await self._index(str(notification.get("agent_id", "")), nid)
        await self._deliverer.deliver(notification)
        await self._mark_delivered(_key(nid))
        return Intake.DELIVERED

    async def _stored_or_insert(self, key: str, notification: dict[str, Any]) -> Stored | None:
        """The record already stored at ``key``, or None after storing a new one (the store's
        first-write insert says which, whatever status the store refuses an existing key with)."""
        record = {"notification": notification, "delivered": False, "received_at": self._stamp()}
        if await self._store.insert(key, record):
            self._metrics.stored(notification, self._now())
            return None
        return await self._store.get(key)

    async def _mark_delivered(self, key: str) -> None:
        """Save the record as delivered, conditional on its ETag: a key first written with
        first-write concurrency refuses unconditional saves on some stores (daprd's
        state.redis); a mismatch means a concurrent intake marked it already."""
        stored = await self._store.get(key)
        if stored is not None and not stored.value.get("delivered"):
            await self._store.save(key, {**stored.value, "delivered": True}, stored.etag)

    async def history(self, agent_id: str | None, task_id: str | None) -> list[dict[str, Any]]:
        agents = [agent_id] if agent_id is not None else await self._list_of(AGENTS_KEY)
        ids = [nid for agent in agents for nid in await self._list_of(index_key(agent))]
        found = await self._store.bulk_get([_key(i) for i in ids])
        records = [found[_key(i)] for i in ids if _key(i) in found]
        return [
            {**r["notification"], "delivered": r["delivered"], "received_at": r["received_at"]}
            for r in records
            if _matches(r["notification"], agent_id, task_id)
        ]

    async def _list_of(self, key: str) -> list[str]:
        current = await self._store.get(key)
        return list(current.value) if current is not None else []

    async def _index(self, agent_id: str, nid: str) -> None:
        """List the agent (first), then the id under it: each append once, under ETags."""
        await self._append(AGENTS_KEY, agent_id)
        await self._append(index_key(agent_id), nid)

    async def _append(self, key: str, item: str) -> None:
        """Append ``item`` to the list at ``key`` under optimistic concurrency (ETag), once."""
        for _ in range(_INDEX_ATTEMPTS):
            current = await self._store.get(key)
            items: list[str] = current.value if current is not None else []
            if item in items:
                return
            if current is None and await self._store.insert(key, [item]):
                return
            if current is not None and await self._store.save(key, [*items, item], current.etag):
                return
        # Stored but not listed would be lost from the history for good (a repeat is only
        # acknowledged): answer 503 so the caller retries, and this intake runs again.
        raise StateStoreError(f"could not add {item} to {key} (contention)")

    def _stamp(self) -> str:
        return self._now().astimezone(UTC).isoformat().replace("+00:00", "Z")


def index_key(agent_id: str) -> str:
    """The agent's index key; the id is percent-encoded (any text is a valid, prefix-safe key)."""
    return f"notifications-index-{quote(agent_id, safe='')}"


def _key(nid: str) -> str:
    return f"notification-{nid}"


def _matches(notification: dict[str, Any], agent_id: str | None, task_id: str | None) -> bool:
    return agent_id in (None, notification.get("agent_id")) and task_id in (
        None,
        notification.get("task_id"),
    )
