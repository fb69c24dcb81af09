"""Which live host owns an actor: a consistent-hash ring over the sidecars hosting its type (§3.8).

Every sidecar of a runtime home reads the same registry, so they all compute the same owner.
Each host gets ``VNODES`` points on the ring; an actor id belongs to the first point at or after
its own hash. When a host leaves, only its actors move.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..services import Directory

if TYPE_CHECKING:
    from ..registry import Entry

VNODES = 100


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@functools.lru_cache(maxsize=64)
def _ring(hosts: tuple[str, ...]) -> list[tuple[int, str]]:
    return sorted((_hash(f"{host}#{i}"), host) for host in hosts for i in range(VNODES))


def ring_owner(hosts: Sequence[str], actor_type: str, actor_id: str) -> str | None:
    """The host (by instance name) that owns ``actor_type/actor_id``; None when there is none."""
    if not hosts:
        return None
    points = _ring(tuple(sorted(set(hosts))))
    key = _hash(f"{actor_type}||{actor_id}")
    index = bisect.bisect_left(points, (key, "")) % len(points)
    return points[index][1]


class Placement:
    """Placement lookups backed by the registry of live sidecars."""

    def __init__(self, registry: Directory, namespace: str) -> None:
        self.registry = registry
        self.namespace = namespace

    async def hosts(self, actor_type: str) -> list[Entry]:
        return await self.registry.hosts_of(actor_type, self.namespace)

    async def generation(self) -> int:
        return await self.registry.generation()

    async def lookup(self, actor_type: str, actor_id: str) -> Entry | None:
        """The live sidecar that owns the actor, or None when no live sidecar hosts its type."""
        hosts = await self.hosts(actor_type)
        owner = ring_owner([h.instance for h in hosts], actor_type, actor_id)
        return next((h for h in hosts if h.instance == owner), None)
