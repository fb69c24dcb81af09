"""The job store contract. Implementations: ``memory.py`` (tests) and ``sqlite.py`` (durable).

A store keeps job records keyed by (owner, name) and answers "what is due" cheaply: the cost of
``next_due``, ``claim`` and ``complete`` must not grow with the number of pending jobs.

Leases: ``claim`` hands due records to one scheduler instance and hides them from every other
claimer until ``complete`` or ``release_leases``. A lease never expires by itself: its time is
only when the holder must be checked again. A scheduler asks ``stale_holders`` for leases past
that time and either renews them (the holder is alive, its delivery still running: daprd keeps one
tick in flight for as long as the app takes) or releases them (the holder's process is gone). So a
slow app is never called twice for one tick. A record whose generation changed while it was
claimed (an overwrite) is not touched by ``complete``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from ..lifecycle import Resource
from ._model import JobRecord


class JobExistsError(Exception):
    """A job with this name exists and overwrite was not asked for."""

    def __init__(self, owner: str, name: str) -> None:
        super().__init__(f"job already exists: '{owner}||{name}'")
        self.owner = owner
        self.name = name


class JobStore(Resource, ABC):
    """Durable home of jobs and reminders, shared by every sidecar of one runtime home.

    ``open()`` creates what the store needs; ``close()`` releases it.
    """

    @abstractmethod
    async def put(self, record: JobRecord, *, overwrite: bool) -> JobRecord:
        """Store ``record``; returns it with its new generation.

        After it returns the job is durable. Without ``overwrite`` an existing (owner, name)
        raises JobExistsError and nothing changes; with it the old record and its counter are
        replaced whole.
        """

    @abstractmethod
    async def get(self, owner: str, name: str) -> JobRecord | None:
        """The record, or None."""

    @abstractmethod
    async def delete(self, owner: str, name: str) -> bool:
        """Remove the record; True if there was one. Afterwards ``get`` returns None."""

    @abstractmethod
    async def delete_prefix(self, owner: str, prefix: str) -> int:
        """Remove every record of ``owner`` whose name starts with ``prefix``; returns the count."""

    @abstractmethod
    async def records(self, owner: str) -> list[JobRecord]:
        """All records of one owner, ordered by name."""

    @abstractmethod
    async def count(self, owners: Iterable[str]) -> int:
        """How many records these owners have stored (leased ones included)."""

    @abstractmethod
    async def next_due(self, owners: Iterable[str]) -> float | None:
        """The earliest time at which any record of these owners may be claimed."""

    @abstractmethod
    async def claim(
        self, owners: Sequence[str], now: float, limit: int, lease_owner: str, lease: float
    ) -> list[JobRecord]:
        """Up to ``limit`` unleased records with ``due_at <= now``, earliest first.

        Each is leased to ``lease_owner`` with its recheck time at ``now + lease``.
        """

    @abstractmethod
    async def stale_holders(self, owners: Sequence[str], now: float) -> set[str]:
        """Holders of leases on these owners' records whose recheck time is ``<= now``."""

    @abstractmethod
    async def renew(self, lease_owner: str, until: float) -> int:
        """Move the recheck time of every lease of ``lease_owner`` to ``until``; the count."""

    @abstractmethod
    async def complete(self, record: JobRecord, next_record: JobRecord | None) -> bool:
        """Finish a claimed attempt: store ``next_record`` (same key) or delete when None.

        Only applies if the stored generation still equals ``record.generation``; returns whether
        it applied. The lease is released either way.
        """

    @abstractmethod
    async def release_leases(self, lease_owners: Iterable[str]) -> int:
        """Make records leased by these (dead) holders claimable at their due time again."""

    @abstractmethod
    async def lease_holders(self) -> set[str]:
        """The distinct lease owners currently holding any record."""
