"""The state-store contract every implementation honours (Dapr's ``state.Store`` semantics).

Keys are opaque strings (the HTTP layer adds Dapr's ``{appId}||`` prefix before they get here);
values are the bytes to keep. Every write gives the key a new, opaque ETag. Time comes from the
clock the store was built with, so a row whose ``expire_at`` is ``<= clock.now()`` is invisible to
every read and to every concurrency check, exactly as if it had been deleted.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..lifecycle import Resource
from ._store_errors import BulkSetError, EtagInvalidError, EtagMismatchError, InvalidTTLError

T = TypeVar("T")
#: where a bulk write collects its ops' failed conditions; None: the first one is raised
Failures = list[EtagMismatchError | EtagInvalidError] | None

TTL_KEY = "ttlInSeconds"
_MAX_INT32 = 2**31 - 1
_INT = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class SqlTables:
    """What the SQL stores read alike from their components: the state table (``tableName``),
    the metadata table (``metadataTableName``) and how often expired rows are swept
    (``cleanupInterval``, seconds; 0: never)."""

    table: str = "state"
    metadata_table: str = "metadata"
    cleanup_interval: float = 0.0


@dataclass(frozen=True)
class StateItem:
    """One visible row: ``expire_at`` is epoch seconds, or None for no TTL."""

    key: str
    value: bytes
    etag: str
    expire_at: float | None


@dataclass(frozen=True)
class Upsert:
    """Write ``value`` under ``key``.

    ``etag`` set (non-empty): update only if the current ETag equals it; a missing key mismatches.
    ``etag`` None and ``first_write``: insert only if the key is absent. Otherwise last write wins.
    ``ttl_seconds`` > 0 makes the row expire that long after the write; None or <= 0 clears any TTL.
    """

    key: str
    value: bytes
    etag: str | None = None
    first_write: bool = False
    ttl_seconds: float | None = None


@dataclass(frozen=True)
class Delete:
    """Remove ``key``; deleting a missing key without an ETag is not an error.

    ``etag`` set (non-empty): delete only if the current ETag equals it; a missing key mismatches.
    ``first_write`` without ETag follows the store's contrib counterpart: the in-memory store
    refuses to delete an existing key, sqlite ignores it.
    """

    key: str
    etag: str | None = None
    first_write: bool = False


def parse_ttl(metadata: Mapping[str, str]) -> int | None:
    """contrib ``state/utils.ParseTTL``: an int in [-1, MaxInt32], or None when not given."""
    raw = metadata.get(TTL_KEY, "")
    if raw == "":
        return None
    try:
        value = go_atoi(raw, "ParseInt")
    except ValueError as exc:
        raise InvalidTTLError(f"incorrect value for metadata '{TTL_KEY}': {exc}") from None
    if value < -1 or value > _MAX_INT32:
        raise InvalidTTLError(f"incorrect value for metadata '{TTL_KEY}': must be -1 or greater")
    return value


def go_atoi(raw: str, func: str = "Atoi") -> int:
    """Go's ``strconv.Atoi``/``ParseInt(s, 10, 0)``; the ValueError carries Go's message."""
    quoted = '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if not _INT.fullmatch(raw):
        raise ValueError(f"strconv.{func}: parsing {quoted}: invalid syntax")
    value = int(raw)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"strconv.{func}: parsing {quoted}: value out of range")
    return value


def apply_all(ops: Iterable[T], apply: Callable[[T], object], failures: Failures) -> None:
    """``apply`` each op in order. A failed ETag or first-write condition is raised when
    ``failures`` is None; otherwise it is appended there and the remaining ops still run."""
    for op in ops:
        try:
            apply(op)
        except (EtagMismatchError, EtagInvalidError) as exc:
            if failures is None:
                raise
            failures.append(exc)


class StateStore(Resource, ABC):
    """A Dapr state store: async, one instance per component, used as ``async with store:``.

    After ``open()`` the store serves calls until ``close()``; each write is durable (for stores
    that persist) before its call returns. ``capabilities`` are the feature names daprd's metadata
    API lists for the component (``ETAG``, ``TRANSACTIONAL``, ``TTL``, and ``ACTOR`` when it is
    the actor state store).
    """

    name: str
    component_type: str
    actor_state_store: bool
    #: the component's ``keyPrefix`` strategy, lower-cased: appid, name, namespace, none, or custom
    key_prefix: str = "appid"

    #: the component type's own features, in the order daprd lists them
    features: tuple[str, ...] = ("ETAG", "TRANSACTIONAL", "TTL")

    @property
    def capabilities(self) -> tuple[str, ...]:
        if self.actor_state_store and "ACTOR" not in self.features:
            return (*self.features, "ACTOR")
        return self.features

    def parse_ttl(self, metadata: Mapping[str, str]) -> int | None:
        """The TTL this store reads from request metadata; raises ``InvalidTTLError``."""
        return parse_ttl(metadata)

    @abstractmethod
    async def open(self) -> None:
        """Acquire resources (connection, schema); afterwards every other call may be made."""

    @abstractmethod
    async def close(self) -> None:
        """Release resources; idempotent. Data already acknowledged stays persisted."""

    @abstractmethod
    async def get(self, key: str) -> StateItem | None:
        """The visible row for ``key``, or None when missing or expired."""

    async def bulk_get(self, keys: Sequence[str]) -> list[StateItem | None]:
        """``get`` for each key, in the order given (missing or expired keys give None)."""
        return [await self.get(key) for key in keys]

    @abstractmethod
    async def set(self, op: Upsert) -> str:
        """Apply ``op`` and return the key's new ETag.

        Raises ``EtagMismatchError`` (or ``EtagInvalidError``) when the condition in ``op`` does
        not hold; then nothing changed.
        """

    async def bulk_set(self, ops: Sequence[Upsert]) -> None:
        """Apply every op, or none: when any op fails its condition, raises ``BulkSetError`` listing
        each failure (in op order) and leaves the store unchanged."""
        failures: list[EtagMismatchError | EtagInvalidError] = []
        await self._transact(ops, failures)
        if failures:
            raise BulkSetError(failures)

    @abstractmethod
    async def delete(self, op: Delete) -> None:
        """Remove the key per ``op``; raises ``EtagMismatchError`` when its condition fails."""

    async def transact(self, ops: Sequence[Upsert | Delete]) -> None:
        """Apply ``ops`` in order as one atomic unit: all of them, or (on any error) none.

        Each op sees the effect of the ones before it. The first failing op's error is raised.
        """
        await self._transact(ops, None)

    @abstractmethod
    async def _transact(self, ops: Sequence[Upsert | Delete], failures: Failures) -> None:
        """Run ``ops`` atomically. With ``failures`` None, raise the first error; otherwise
        append every concurrency failure there, and commit only if it stays empty."""
