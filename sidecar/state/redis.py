"""``state.redis``: contrib's data layout and concurrency rules on ``redis.asyncio``.

Each key is a Redis hash with the fields ``data`` (the value's bytes) and ``version`` (an integer
that every write increments; it is the ETag), plus ``first-write`` once a key was written with
first-write concurrency. Keys are the ones daprd builds (``<appId>||<key>``, actors
``<appId>||<type>||<id>||<key>``), so daprd and this runtime read each other's data on one server.

The rules are contrib's (``state/redis``), including where they surprise:

- a write or delete carrying an ETag succeeds on a missing key (there is nothing to mismatch);
- a write without an ETag is refused only when the key was created with first-write concurrency,
  and then refused whatever the request's concurrency (a plain error, not an ETag mismatch);
- an ETag that is not an integer is invalid for a write, and a mismatch for a delete;
- a write without ``ttlInSeconds`` keeps the key's TTL (the component's ``ttlInSeconds`` applies
  when set); ``ttlInSeconds`` <= 0 removes it. Expiry runs on the Redis server's clock, and reads
  report no expiry time;
- bulk writes apply item by item (contrib's DefaultBulkStore): the items that pass are kept.

Deviation: a transaction runs as one Lua script that checks every op's condition before it
applies any, so a failing op leaves the store unchanged. contrib queues each op's script in
MULTI/EXEC, where the ops around a failing one are still applied (Redis has no rollback).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from redis.exceptions import RedisError

from .. import redisconn
from ..redisconn import RedisSettings
from ._base import Delete, Failures, StateItem, StateStore, Upsert, go_atoi
from ._store_errors import EtagInvalidError, EtagMismatchError, InvalidTTLError, StoreFailedError

logger = logging.getLogger(__name__)

#: the metadata names of ``state.redis`` beyond the connection settings
OWN_METADATA = frozenset({"ttlinseconds", "actorstatestore", "keyprefix", "queryindexes"})

# KEYS[i] is op i's key; ARGV has five fields per op: "set"/"del", the version the caller
# expects ("0": none), the value, "0" to mark the key first-write, the TTL ("": none given).
# Pass 1 checks every op against the rows as the ops before it leave them; pass 2 applies.
_SCRIPT = """
local rows = {}
local function row(key)
  if rows[key] == nil then
    local version = redis.pcall("HGET", key, "version")
    if type(version) == "table" then
      rows[key] = {version = false, marked = false}
    else
      rows[key] = {version = version, marked = redis.call("HEXISTS", key, "first-write") == 1}
    end
  end
  return rows[key]
end
local function allowed(kind, current, want)
  local version = current.version
  if not version or version == "" or version == want then return true end
  if kind == "del" then return want == "0" end
  return want == "0" and not current.marked
end
for i, key in ipairs(KEYS) do
  local at = (i - 1) * 5
  local current = row(key)
  if not allowed(ARGV[at + 1], current, ARGV[at + 2]) then return {"refused", i} end
  if ARGV[at + 1] == "del" then
    rows[key] = {version = false, marked = false}
  else
    local next_version = tostring((tonumber(current.version) or 0) + 1)
    rows[key] = {version = next_version, marked = current.marked or ARGV[at + 4] == "0"}
  end
end
local out = {"ok"}
for i, key in ipairs(KEYS) do
  local at = (i - 1) * 5
  if ARGV[at + 1] == "del" then
    redis.call("DEL", key)
    out[i + 1] = ""
  else
    if redis.call("TYPE", key)["ok"] ~= "hash" then redis.call("DEL", key) end
    redis.call("HSET", key, "data", ARGV[at + 3])
    if ARGV[at + 4] == "0" then redis.call("HSET", key, "first-write", 0) end
    out[i + 1] = tostring(redis.call("HINCRBY", key, "version", 1))
    local ttl = tonumber(ARGV[at + 5])
    if ttl ~= nil and ttl > 0 then redis.call("EXPIRE", key, ttl) end
    if ttl ~= nil and ttl <= 0 then redis.call("PERSIST", key) end
  end
end
return out
"""


class RedisStateStore(StateStore):
    """contrib ``state.redis`` against one Redis node (see the module docstring for its rules)."""

    component_type = "state.redis"
    features = ("ETAG", "TRANSACTIONAL", "TTL", "KEYS_LIKE")  # contrib without RedisJSON

    def __init__(
        self,
        name: str,
        settings: RedisSettings,
        *,
        actor_state_store: bool = False,
        default_ttl: int | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.actor_state_store = actor_state_store
        self.default_ttl = default_ttl
        self._client = redisconn.connect(settings)
        self._script = self._client.register_script(_SCRIPT)

    def parse_ttl(self, metadata: Mapping[str, str]) -> int | None:
        """contrib redis: ``strconv.ParseInt`` with no range check."""
        raw = metadata.get("ttlInSeconds", "")
        if raw == "":
            return None
        try:
            return go_atoi(raw, "ParseInt")
        except ValueError as exc:
            raise InvalidTTLError(f"failed to parse ttl from metadata: {exc}") from None

    async def open(self) -> None:
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            await self._client.aclose()
            address = self.settings.address
            detail = redisconn.describe(exc)
            raise StoreFailedError(
                f"redis store: error connecting to redis at {address}: {detail}"
            ) from exc
        if self.actor_state_store:
            logger.warning(
                "Redis does not support transaction rollbacks and should not be used in "
                "production as an actor state store."
            )
        logger.info("redis state store %s connected to %s", self.name, self.settings.address)

    async def close(self) -> None:
        await self._client.aclose()

    # reads

    async def get(self, key: str) -> StateItem | None:
        return (await self.bulk_get([key]))[0]

    async def bulk_get(self, keys: Sequence[str]) -> list[StateItem | None]:
        if not keys:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(key)
            try:
                rows = await pipe.execute()
            except (RedisError, OSError) as exc:
                raise StoreFailedError(redisconn.describe(exc)) from exc
        return [_item(key, row) for key, row in zip(keys, rows, strict=True)]

    # writes

    async def set(self, op: Upsert) -> str:
        return (await self._run([op], mark_first_write=True))[0]

    async def delete(self, op: Delete) -> None:
        try:
            await self._run([op], mark_first_write=False)
        except StoreFailedError as exc:  # contrib reports every delete failure as a mismatch
            raise EtagMismatchError(op.key, str(exc)) from exc

    async def _transact(self, ops: Sequence[Upsert | Delete], failures: Failures) -> None:
        if failures is None:
            await self._run(ops, mark_first_write=False)
            return
        for op in ops:  # a bulk write: item by item, as contrib's DefaultBulkStore
            try:
                await self._run([op], mark_first_write=True)
            except (EtagMismatchError, EtagInvalidError) as exc:
                failures.append(exc)

    async def _run(self, ops: Sequence[Upsert | Delete], *, mark_first_write: bool) -> list[str]:
        args: list[Any] = []
        for op in ops:
            args += self._args(op, mark_first_write)
        try:
            answer = await self._script(keys=[op.key for op in ops], args=args)
        except (RedisError, OSError) as exc:
            raise StoreFailedError(redisconn.describe(exc)) from exc
        if answer[0] == b"refused":
            raise _refused(ops[int(answer[1]) - 1])
        return [v.decode() for v in answer[1:]]

    def _args(self, op: Upsert | Delete, mark_first_write: bool) -> list[Any]:
        if isinstance(op, Delete):
            return ["del", op.etag or "0", "", "1", ""]
        ttl = op.ttl_seconds if op.ttl_seconds is not None else self.default_ttl
        first = "0" if mark_first_write and op.first_write and not op.etag else "1"
        return ["set", _version(op), op.value, first, "" if ttl is None else str(int(ttl))]


def _version(op: Upsert) -> str:
    """contrib ``parseETag``: the ETag as an integer, ``0`` when none."""
    if not op.etag:
        return "0"
    try:
        return str(go_atoi(op.etag))
    except ValueError as exc:
        raise EtagInvalidError(op.key, str(exc)) from None


def _refused(op: Upsert | Delete) -> Exception:
    if isinstance(op, Delete):
        return EtagMismatchError(op.key, f"failed to delete {op.key}")
    if op.etag:
        return EtagMismatchError(op.key, f"failed to set key {op.key}")
    return StoreFailedError(f"failed to set key {op.key}: the key was written with first-write")


def _item(key: str, row: dict[bytes, bytes]) -> StateItem | None:
    if not row:
        return None
    if b"data" not in row or b"version" not in row:
        raise StoreFailedError("required hash field 'data' or 'version' was not found")
    return StateItem(key, row[b"data"], row[b"version"].decode(), None)
