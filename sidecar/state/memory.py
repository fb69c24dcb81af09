"""``state.in-memory``: a dict behind the state-store contract, as contrib's in-memory store."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence

from ..clock import Clock
from ._base import Delete, Failures, StateItem, StateStore, Upsert, apply_all, go_atoi
from ._store_errors import EtagMismatchError, InvalidTTLError

logger = logging.getLogger(__name__)

_Rows = dict[str, StateItem]


class InMemoryStateStore(StateStore):
    """Rows live in a dict; each call runs without awaiting, so calls are atomic by construction."""

    component_type = "state.in-memory"
    # as daprd 1.18.3 lists them, ACTOR included even when it is not the actor state store
    features = ("ETAG", "TRANSACTIONAL", "TTL", "DELETE_WITH_PREFIX", "KEYS_LIKE", "ACTOR")

    def __init__(self, name: str, clock: Clock, *, actor_state_store: bool = False) -> None:
        self.name = name
        self.actor_state_store = actor_state_store
        self._clock = clock
        self._rows: _Rows = {}

    async def open(self) -> None:
        logger.debug("in-memory state store %s opened", self.name)

    async def close(self) -> None:
        self._rows.clear()

    def parse_ttl(self, metadata: Mapping[str, str]) -> int | None:
        """contrib in-memory: ``strconv.Atoi``; negative values mean no TTL."""
        raw = metadata.get("ttlInSeconds", "")
        if raw == "":
            return None
        try:
            return max(go_atoi(raw), 0)
        except ValueError as exc:
            raise InvalidTTLError(str(exc)) from None

    async def get(self, key: str) -> StateItem | None:
        return _visible(self._rows, key, self._clock.now())

    async def set(self, op: Upsert) -> str:
        return _apply(self._rows, op, self._clock.now())

    async def delete(self, op: Delete) -> None:
        _apply(self._rows, op, self._clock.now())

    async def _transact(self, ops: Sequence[Upsert | Delete], failures: Failures) -> None:
        rows, now = dict(self._rows), self._clock.now()  # a scratch copy: commit or drop
        apply_all(ops, lambda op: _apply(rows, op, now), failures)
        if not failures:
            self._rows = rows


def _visible(rows: _Rows, key: str, now: float) -> StateItem | None:
    item = rows.get(key)
    if item is None or (item.expire_at is not None and item.expire_at <= now):
        return None
    return item


def _apply(rows: _Rows, op: Upsert | Delete, now: float) -> str:
    """Check ``op`` against ``rows`` and apply it there; returns the new ETag ("" for a delete)."""
    _check(_visible(rows, op.key, now), op)
    if isinstance(op, Delete):
        rows.pop(op.key, None)
        return ""
    etag = str(uuid.uuid4())
    ttl = op.ttl_seconds
    expire_at = now + ttl if ttl is not None and ttl > 0 else None
    rows[op.key] = StateItem(op.key, op.value, etag, expire_at)
    return etag


def _check(current: StateItem | None, op: Upsert | Delete) -> None:
    """contrib in-memory ``doValidateEtag``, with its messages."""
    if op.etag:
        if current is None:
            raise EtagMismatchError(op.key, f"state not exist or expired for key={op.key}")
        if current.etag != op.etag:
            detail = f"current={current.etag}, expect={op.etag}"
            raise EtagMismatchError(op.key, f"state etag not match for key={op.key}: {detail}")
    elif op.first_write and current is not None:
        raise EtagMismatchError(op.key, "item already exists and no etag was passed")
