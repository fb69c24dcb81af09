"""``lock.redis`` as components-contrib's ``lock/redis`` (standalone): TryLock is
``SET key owner NX EX seconds``; Unlock runs a script that deletes the key only when its value is
the caller's owner, answering -1 (no such lock), -2 (another owner) or the DEL count.

The connection metadata is the one ``state.redis`` and ``pubsub.redis`` take (``redisconn``);
``keyPrefix`` (daprd's, not the component's) picks how resource ids become keys."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .. import redisconn

log = logging.getLogger(__name__)

SEPARATOR = "||"
_UNLOCK = (
    'local v = redis.call("get", KEYS[1]); if v == false then return -1 end; '
    'if v ~= ARGV[1] then return -2 else return redis.call("del", KEYS[1]) end'
)
_OWN = frozenset({"keyprefix"})


class UnlockStatus(IntEnum):
    """``UnlockResponse.Status`` of the runtime proto."""

    SUCCESS = 0
    LOCK_DOES_NOT_EXIST = 1
    LOCK_BELONGS_TO_OTHERS = 2
    INTERNAL_ERROR = 3


class LockStoreError(Exception):
    """The store could not be reached or answered an error; the message is the client's."""


@dataclass
class LockStore:
    """One ``lock.redis`` component: ``key_prefix`` is daprd's strategy (appid, name, none, or
    a literal prefix, lowered as daprd lowers it)."""

    name: str
    component_type: str
    version: str
    settings: redisconn.RedisSettings
    key_prefix: str = "appid"
    client: aioredis.Redis | None = None

    async def open(self) -> None:
        """Connect and ping, as contrib's Init; raises ``LockStoreError`` when Redis is down."""
        self.client = redisconn.connect(self.settings)
        await self._run(self.client.ping())

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def try_lock(self, key: str, owner: str, expiry_seconds: int) -> bool:
        """True when ``key`` was free and is now held by ``owner`` for ``expiry_seconds``."""
        assert self.client is not None
        done = await self._run(self.client.set(key, owner, nx=True, ex=expiry_seconds))
        return bool(done)

    async def unlock(self, key: str, owner: str) -> UnlockStatus:
        assert self.client is not None
        answer = int(await self._run(self.client.eval(_UNLOCK, 1, key, owner)))
        if answer >= 0:
            return UnlockStatus.SUCCESS
        if answer == -1:
            return UnlockStatus.LOCK_DOES_NOT_EXIST
        return UnlockStatus.LOCK_BELONGS_TO_OTHERS

    def key(self, resource_id: str, app_id: str) -> str:
        """daprd's ``GetModifiedLockKey``: ``lock||{prefix}||{resource}``."""
        if SEPARATOR in resource_id:
            raise ValueError(f"input key/keyPrefix '{resource_id}' can't contain '||'")
        prefix = {"appid": app_id, "name": self.name, "none": ""}.get(
            self.key_prefix, self.key_prefix
        )
        return SEPARATOR.join(part for part in ("lock", prefix, resource_id) if part)

    async def _run(self, call: Any) -> Any:  # redis-py types commands as sync-or-async
        try:
            return await call
        except (RedisError, OSError) as exc:
            raise LockStoreError(redisconn.describe(exc)) from exc


def build_lock_store(
    name: str, component_type: str, version: str, metadata: Mapping[str, str]
) -> LockStore:
    """A configured, not yet opened store; ``ValueError`` for a bad type, version or metadata."""
    if component_type != "lock.redis" or version not in ("", "v1"):
        raise ValueError(f"couldn't find lock store {component_type}/{version or 'v1'}")
    settings = redisconn.parse_settings(metadata, _OWN)
    prefix = redisconn.lowered(metadata).get("keyprefix", "")
    if SEPARATOR in prefix:
        raise ValueError(f"input key/keyPrefix '{prefix}' can't contain '||'")
    return LockStore(name, component_type, version, settings, prefix.lower() or "appid")
