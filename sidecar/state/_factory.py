"""Build a state store from a component's ``spec.type``, ``version`` and ``metadata``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from .. import redisconn
from ..clock import Clock
from ._base import SqlTables, StateStore
from .memory import InMemoryStateStore
from .postgresql import DEFAULT_TABLES as POSTGRES_TABLES
from .postgresql import PostgresStateStore
from .redis import OWN_METADATA as REDIS_METADATA
from .redis import RedisStateStore
from .sqlite import SqliteStateStore

log = logging.getLogger(__name__)

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_IDENTIFIER = re.compile(r"[0-9A-Za-z_]+")
_TABLE = re.compile(r"[A-Za-z_][0-9A-Za-z_]*(\.[A-Za-z_][0-9A-Za-z_]*)?")  # table or schema.table
_POSTGRES = ("state.postgresql", "state.postgres")
_POSTGRES_METADATA = {"connectionstring", "tablename", "metadatatablename", "timeout"}
_POSTGRES_METADATA |= {"timeoutinseconds", "cleanupinterval", "cleanupintervalinseconds"}
_POSTGRES_METADATA |= {"actorstatestore", "keyprefix"}
#: what daprd itself reads from any state store's metadata (the transactional outbox)
RUNTIME_METADATA = frozenset({"outboxpublishpubsub", "outboxpublishtopic", "outboxpubsub"})
RUNTIME_METADATA |= {"outboxdiscardwhenmissingstate"}
_POSTGRES_METADATA |= RUNTIME_METADATA
_FORBIDDEN_PRAGMAS = {
    "busy_timeout": "busyTimeout",
    "journal_mode": "disableWAL",
    "foreign_keys": "",
}


def build_state_store(
    name: str,
    component_type: str,
    version: str,
    metadata: dict[str, str],
    clock: Clock,
    *,
    base_dir: Path,
) -> StateStore:
    """A configured, not yet opened store; raises ``ValueError`` for bad type, version or metadata.

    ``metadata`` keys match case-insensitively, as daprd's decoder does.
    """
    if version not in ("", "v1"):
        supported = " (v1 is)" if component_type in _POSTGRES else ""
        raise ValueError(f"couldn't find state store {component_type}/{version}{supported}")
    meta = {key.lower(): value for key, value in metadata.items()}
    actor = is_truthy(meta.get("actorstatestore", ""))
    store: StateStore
    if component_type == "state.in-memory":
        store = InMemoryStateStore(name, clock, actor_state_store=actor)
    elif component_type == "state.sqlite":
        store = _sqlite(name, meta, clock, base_dir, actor)
    elif component_type == "state.redis":
        store = _redis(name, metadata, actor)
    elif component_type in _POSTGRES:
        store = _postgres(name, meta, clock, actor)
    else:
        raise ValueError(f"couldn't find state store {component_type}/{version or 'v1'}")
    store.key_prefix = _key_prefix(meta)
    return store


def _sqlite(
    name: str, meta: Mapping[str, str], clock: Clock, base_dir: Path, actor: bool
) -> SqliteStateStore:
    conn = _connection_string(meta, "connectionstring", "url")
    timeout = _duration(meta, "timeout", "timeoutinseconds", default=20.0)
    if timeout < 1:
        raise ValueError("invalid value for 'timeout': must be greater than 1s")
    target, pragmas = sqlite_target(conn, base_dir)
    return SqliteStateStore(
        name,
        target,
        clock,
        tables=_tables(meta, _identifier, SqlTables()),
        actor_state_store=actor,
        busy_timeout=_duration(meta, "busytimeout", default=2.0),
        disable_wal=_parse_bool("disableWAL", meta.get("disablewal", "")),
        pragmas=pragmas,
    )


def _redis(name: str, metadata: Mapping[str, str], actor: bool) -> RedisStateStore:
    settings = redisconn.parse_settings(metadata, REDIS_METADATA | RUNTIME_METADATA)
    raw_ttl = redisconn.lowered(metadata).get("ttlinseconds", "")
    try:
        default_ttl = int(raw_ttl) if raw_ttl else None
    except ValueError:
        raise ValueError(f"redis client configuration error: ttlInSeconds: {raw_ttl!r}") from None
    return RedisStateStore(name, settings, actor_state_store=actor, default_ttl=default_ttl)


def _postgres(name: str, meta: Mapping[str, str], clock: Clock, actor: bool) -> PostgresStateStore:
    conn = _connection_string(meta, "connectionstring")
    for key in sorted(meta.keys() - _POSTGRES_METADATA):
        log.warning("state store %s: unknown postgresql metadata %r; ignored", name, key)
    return PostgresStateStore(
        name,
        conn,
        clock,
        tables=_tables(meta, _table, POSTGRES_TABLES),
        timeout=_duration(meta, "timeout", "timeoutinseconds", default=20.0),
        actor_state_store=actor,
    )


def _connection_string(meta: Mapping[str, str], *names: str) -> str:
    """The first of ``names`` set in ``meta``; a SQL store cannot start without one."""
    conn = next((meta[n] for n in names if meta.get(n)), "")
    if not conn:
        raise ValueError("missing connection string")
    return conn


def _tables(meta: Mapping[str, str], valid: Callable[[str], str], default: SqlTables) -> SqlTables:
    """A SQL store's tables (each name checked by ``valid``) and sweep interval, ``default``
    for what the component leaves out."""
    return SqlTables(
        valid(meta.get("tablename") or default.table),
        valid(meta.get("metadatatablename") or default.metadata_table),
        _duration(
            meta, "cleanupinterval", "cleanupintervalinseconds", default=default.cleanup_interval
        ),
    )


def _table(value: str) -> str:
    if not _TABLE.fullmatch(value):
        raise ValueError(f"invalid table name: {value}")
    return value


def sqlite_target(conn: str, base_dir: Path) -> tuple[str, tuple[str, ...]]:
    """contrib's connection-string rules as a Python ``sqlite3`` URI plus the extra pragmas.

    Relative paths resolve against ``base_dir``; ``:memory:`` becomes a shared-cache memory
    database; ``_txlock`` is dropped (we always BEGIN IMMEDIATE); ``busy_timeout``/``journal_mode``/
    ``foreign_keys`` pragmas are refused, as contrib does.
    """
    path, _, query = conn.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    pragmas = tuple(value for key, value in params if key == "_pragma")
    for pragma in pragmas:
        for banned in _FORBIDDEN_PRAGMAS:
            if pragma.lower().startswith(banned):
                message = f"found forbidden option '_pragma={banned}' in the connection string"
                raise ValueError(message)
    rest = [(key, value) for key, value in params if key not in ("_pragma", "_txlock")]
    lowered = path.lower()
    if lowered.startswith((":memory:", "file::memory:")):
        rest = [(k, v) for k, v in rest if k != "cache"] + [("cache", "shared")]
        return f"file::memory:?{urlencode(rest)}", pragmas
    body = path[5:] if lowered.startswith("file:") else path
    if not body.startswith("//"):
        body = quote(str(base_dir / body), safe="/:")
    return f"file:{body}" + (f"?{urlencode(rest)}" if rest else ""), pragmas


def _key_prefix(meta: Mapping[str, str]) -> str:
    strategy = meta.get("keyprefix", "appid").lower() or "appid"
    if "||" in strategy:
        raise ValueError(f"input key/keyPrefix '{strategy}' can't contain '||'")
    return strategy


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"invalid identifier: {value}")
    return value


def _duration(meta: Mapping[str, str], *names: str, default: float) -> float:
    """kit's duration decoding: a Go duration (``20s``, ``1m30s``) or integer seconds."""
    raw = next((meta[n] for n in names if meta.get(n)), "")
    if not raw:
        return default
    seconds = parse_go_duration(raw)
    if seconds is None:
        if not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise ValueError(f'time: invalid duration "{raw}"')
        seconds = float(int(raw))
    return seconds


def parse_go_duration(raw: str) -> float | None:
    """Go's ``time.ParseDuration`` in seconds, or None when ``raw`` is not one."""
    sign, body = (-1.0, raw[1:]) if raw.startswith("-") else (1.0, raw.removeprefix("+"))
    if body == "0":
        return 0.0
    parts = _DURATION.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        return None
    return sign * sum(float(n) * _UNITS[u] for n, u in parts)


def _parse_bool(name: str, raw: str) -> bool:
    """Go's ``strconv.ParseBool`` (what the metadata decoder uses for bool fields)."""
    if raw in ("", "0", "f", "F", "false", "FALSE", "False"):
        return False
    if raw in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    raise ValueError(f"invalid value for '{name}': {raw!r} is not a boolean")


def is_truthy(raw: str) -> bool:
    """dapr/kit ``utils.IsTruthy`` (used for ``actorStateStore``)."""
    return raw.strip().lower() in ("y", "yes", "true", "t", "on", "1")
