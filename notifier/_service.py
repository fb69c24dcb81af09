"""Idempotent intake: each notification id is stored once (first-write) and delivered once.

Statuses of a stored notification: ``pending`` (stored, delivery under way or interrupted),
``delivered`` (every recipient's channel took it), ``dead_letter`` (some channel still failed
after its retries: listed under ``GET /dead-letters``), ``replaying`` (a replay claimed it) and
``replayed`` (a replay delivered what had failed). A repeat of an id that is delivered, dead or
replayed is acknowledged without delivering again; a repeat of a ``pending`` id (its earlier
intake answered non-2xx) is delivered now. Records from before statuses existed carry only
``delivered`` (true or false) and are read the same way.

History: one index key per agent (``notifications-index-<agent>``) lists its notification ids,
and ``notifications-agents`` lists the agents. An agent's notifications come from its one actor,
whose calls never overlap, so index writes rarely contend; a single index of every id would be
a hot key rewritten whole on every notification. ``dead-letters`` lists the dead ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from ._delivery import DELIVERED, Deliverer, recipients_of
from ._errors import DeadLetterNotFoundError, ReplayInProgressError
from ._metrics import NotifierMetrics
from ._store import StateStore

logger = logging.getLogger(__name__)
AGENTS_KEY = "notifications-agents"
DEAD_KEY = "dead-letters"
REPLAY_LEASE = timedelta(seconds=60)  # a replay claim older than this (its replayer died) lapses
_FINAL = ("delivered", "dead_letter", "replayed", "replaying")


class Intake(StrEnum):
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    DEAD_LETTER = "dead_letter"


class NotificationService:
    def __init__(
        self,
        store: StateStore,
        deliverer: Deliverer,
        now: Callable[[], datetime] | None = None,
        metrics: NotifierMetrics | None = None,
    ) -> None:
        self._metrics = metrics or NotifierMetrics()
        self._store = store
        self._deliverer = deliverer
        self._now = now or (lambda: datetime.now(UTC))

    async def accept(self, notification: dict[str, Any]) -> Intake:
        nid = notification["id"]
        record = {"notification": notification, "status": "pending", "received_at": self._stamp()}
        if await self._store.insert(_key(nid), record):
            self._metrics.stored(notification, self._now())
        else:
            stored = await self._store.get(_key(nid))
            status = status_of(stored.value) if stored is not None else "pending"
            if status in _FINAL:
                logger.info("notification %s already %s; acknowledging", nid, status)
                self._metrics.outcome("intake", "duplicate")
                if status == "dead_letter":
                    await self._store.append_unique(DEAD_KEY, nid)
                return Intake.DUPLICATE
            record = stored.value if stored is not None else record
        await self._index(str(notification.get("agent_id", "")), nid)
        deliveries = await self._deliverer.deliver(notification, recipients_of(notification))
        return await self._settle(nid, record, deliveries)

    async def replay(self, nid: str) -> dict[str, Any]:
        """Deliver a dead letter's failed deliveries again (once: a replay claims it first)."""
        stored = await self._store.get(_key(nid))
        if stored is None or status_of(stored.value) not in (
            "dead_letter",
            "replaying",
            "replayed",
        ):
            raise DeadLetterNotFoundError(nid)
        record = stored.value
        if status_of(record) == "replayed":
            return _view(record)
        if not _claimable(record, self._now()):
            raise ReplayInProgressError(nid)
        claimed = {**record, "status": "replaying", "replay_started": self._stamp()}
        if not await self._store.save(_key(nid), claimed, stored.etag):
            raise ReplayInProgressError(nid)
        deliveries = [
            await self._redeliver(record["notification"], d) for d in record["deliveries"]
        ]
        done = all(d["status"] == DELIVERED for d in deliveries)
        final = {
            **claimed,
            "deliveries": deliveries,
            "status": "replayed" if done else "dead_letter",
        }
        final["delivered"] = done
        await self._save_record(nid, final)
        return _view(final)

    async def dead_letters(self) -> list[dict[str, Any]]:
        records = await self._records(await self._list_of(DEAD_KEY))
        return [_view(r) for r in records if status_of(r) in ("dead_letter", "replaying")]

    async def history(self, agent_id: str | None, task_id: str | None) -> list[dict[str, Any]]:
        agents = [agent_id] if agent_id is not None else await self._list_of(AGENTS_KEY)
        ids = [nid for agent in agents for nid in await self._list_of(index_key(agent))]
        return [
            _view(r)
            for r in await self._records(ids)
            if _matches(r["notification"], agent_id, task_id)
        ]

    async def _settle(
        self, nid: str, record: dict[str, Any], deliveries: list[dict[str, Any]]
    ) -> Intake:
        ok = all(d["status"] == DELIVERED for d in deliveries)
        if not ok:  # listed before it is marked, so a dead letter is never unlisted
            await self._store.append_unique(DEAD_KEY, nid)
            logger.error("notification %s is a dead letter: %s", nid, _failures(deliveries))
        status = "delivered" if ok else "dead_letter"
        await self._save_record(
            nid, {**record, "status": status, "delivered": ok, "deliveries": deliveries}
        )
        return Intake.DELIVERED if ok else Intake.DEAD_LETTER

    async def _save_record(self, nid: str, value: dict[str, Any]) -> None:
        """Save a notification's record with its ETag: a key first written with first-write
        concurrency refuses saves without one on some stores (daprd's state.redis answers 500)."""
        stored = await self._store.get(_key(nid))
        await self._store.save(_key(nid), value, stored.etag if stored is not None else None)

    async def _redeliver(
        self, notification: dict[str, Any], delivery: dict[str, Any]
    ) -> dict[str, Any]:
        if delivery["status"] == DELIVERED:
            return delivery
        return await self._deliverer.deliver_to(
            notification, delivery["recipient"], delivery["attempts"]
        )

    async def _records(self, ids: list[str]) -> list[dict[str, Any]]:
        found = await self._store.bulk_get([_key(i) for i in ids])
        return [found[_key(i)] for i in ids if _key(i) in found]

    async def _list_of(self, key: str) -> list[str]:
        current = await self._store.get(key)
        return list(current.value) if current is not None else []

    async def _index(self, agent_id: str, nid: str) -> None:
        """List the agent (first), then the id under it: each append once, under ETags."""
        await self._store.append_unique(AGENTS_KEY, agent_id)
        await self._store.append_unique(index_key(agent_id), nid)

    def _stamp(self) -> str:
        return self._now().astimezone(UTC).isoformat().replace("+00:00", "Z")


def status_of(record: dict[str, Any]) -> str:
    if "status" in record:
        return str(record["status"])
    return "delivered" if record.get("delivered") else "pending"


def index_key(agent_id: str) -> str:
    """The agent's index key; the id is percent-encoded (any text is a valid, prefix-safe key)."""
    return f"notifications-index-{quote(agent_id, safe='')}"


def _view(record: dict[str, Any]) -> dict[str, Any]:
    status = status_of(record)
    return {
        **record["notification"],
        "delivered": status in ("delivered", "replayed"),
        "status": status,
        "received_at": record["received_at"],
        "deliveries": record.get("deliveries", []),
    }


def _claimable(record: dict[str, Any], now: datetime) -> bool:
    if status_of(record) != "replaying":
        return True
    started = datetime.fromisoformat(str(record.get("replay_started", "")).replace("Z", "+00:00"))
    return now - started > REPLAY_LEASE


def _failures(deliveries: list[dict[str, Any]]) -> str:
    failed = [d for d in deliveries if d["status"] != DELIVERED]
    return "; ".join(
        f"{d['recipient']} via {d['channel']}: {d['attempts'][-1]['error']}" for d in failed
    )


def _key(nid: str) -> str:
    return f"notification-{nid}"


def _matches(notification: dict[str, Any], agent_id: str | None, task_id: str | None) -> bool:
    return agent_id in (None, notification.get("agent_id")) and task_id in (
        None,
        notification.get("task_id"),
    )
