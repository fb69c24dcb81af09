"""Redis connection settings and client, shared by ``state.redis`` and ``pubsub.redis``.

The metadata is contrib's ``common/component/redis`` ``Settings`` (names match case-insensitively):
``redisHost`` (``host:port``, or ``host`` with ``redisPort``), ``redisPassword``,
``redisUsername``, ``redisDB``, ``enableTLS``, ``insecureSkipTLSVerify``, ``clientCert``/
``clientKey``, ``dialTimeout``, ``readTimeout``, ``writeTimeout``, ``poolSize``, ``poolTimeout``,
``redisMaxRetries``, ``redisMinRetryInterval``, ``redisMaxRetryInterval``. Durations are contrib's:
an integer is milliseconds, otherwise a Go duration. Names contrib knows that this runtime does
not act on are warned about; ``redisType: cluster``, ``failover``, Entra ID and OIDC are refused.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .timefmt import TimeFormatError, parse_go_duration

log = logging.getLogger(__name__)

#: contrib Settings fields this runtime accepts but does not act on (warned about when set)
IGNORED = frozenset(
    {
        "minidleconns",
        "maxconnage",
        "idletimeout",
        "idlecheckfrequency",
        "sentinelpassword",
        "sentinelusername",
        "sentinelmastername",
        "queryindexes",
    }
)
REFUSED = frozenset({"failover", "useentraid", "useazuread", "useoidc"})
COMMON = frozenset(
    {
        "redishost",
        "redisport",
        "redispassword",
        "redisusername",
        "redisdb",
        "redistype",
        "enabletls",
        "insecureskiptlsverify",
        "clientcert",
        "clientkey",
        "dialtimeout",
        "readtimeout",
        "writetimeout",
        "poolsize",
        "pooltimeout",
        "redismaxretries",
        "redisminretryinterval",
        "redismaxretryinterval",
        "maxretries",
        "maxretrybackoff",
    }
)


class RedisConfigError(ValueError):
    """The component's metadata does not decode; the message is contrib's wording."""


@dataclass(frozen=True)
class RedisSettings:
    """Decoded connection settings; timeouts in seconds."""

    host: str
    port: int
    password: str | None = None
    username: str | None = None
    db: int = 0
    tls: bool = False
    tls_insecure: bool = False
    client_cert: str = ""
    client_key: str = ""
    dial_timeout: float = 5.0
    read_timeout: float = 3.0
    write_timeout: float = 3.0
    pool_size: int = 10 * (os.cpu_count() or 1)
    pool_timeout: float = 4.0
    max_retries: int = 3
    min_retry_interval: float = 0.008
    max_retry_interval: float = 0.512

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def lowered(metadata: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in metadata.items()}


def duration(meta: Mapping[str, str], name: str, default: float) -> float:
    """contrib's redis ``Duration``: an integer is milliseconds, else a Go duration."""
    raw = meta.get(name.lower(), "")
    if raw == "":
        return default
    try:
        return int(raw) / 1000
    except ValueError:
        pass
    try:
        return parse_go_duration(raw).total_seconds()
    except TimeFormatError as exc:
        raise RedisConfigError(f"redis client configuration error: decode failed. {exc}") from None


def integer(meta: Mapping[str, str], name: str, default: int) -> int:
    raw = meta.get(name.lower(), "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        message = f"redis client configuration error: decode failed. {name}: invalid {raw!r}"
        raise RedisConfigError(message) from None


def boolean(meta: Mapping[str, str], name: str) -> bool:
    raw = meta.get(name.lower(), "")
    if raw in ("", "0", "f", "F", "false", "FALSE", "False"):
        return False
    if raw in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    message = f"redis client configuration error: decode failed. {name}: invalid bool {raw!r}"
    raise RedisConfigError(message)


def split_host(host: str, port: int) -> tuple[str, int]:
    """contrib ``resolveAddr``: ``host:port``, or ``host`` with ``redisPort`` (default 6379)."""
    if not host:
        raise RedisConfigError("redis client configuration error: redisHost is required")
    if "," in host:
        raise RedisConfigError("redisHost with several addresses (cluster) is not supported")
    name, sep, given = host.rpartition(":")
    if sep and given.isdigit():
        if port and str(port) != given:
            raise RedisConfigError(
                f'redis host "{host}" already contains port {given}, but redisPort is set to '
                f"{port}; either remove the port from redisHost or remove the redisPort setting"
            )
        return name.strip("[]"), int(given)
    return host, port or 6379


def parse_settings(metadata: Mapping[str, str], own: frozenset[str]) -> RedisSettings:
    """Decode ``metadata``; ``own`` are the component kind's extra names (not warned about)."""
    meta = lowered(metadata)
    _check_names(meta, own)
    host, port = split_host(meta.get("redishost", ""), integer(meta, "redisPort", 0))
    retries = meta.get("redismaxretries") or meta.get("maxretries") or ""
    return RedisSettings(
        host=host,
        port=port,
        password=meta.get("redispassword") or None,
        username=meta.get("redisusername") or None,
        db=integer(meta, "redisDB", 0),
        tls=boolean(meta, "enableTLS"),
        tls_insecure=boolean(meta, "insecureSkipTLSVerify"),
        client_cert=meta.get("clientcert", ""),
        client_key=meta.get("clientkey", ""),
        dial_timeout=duration(meta, "dialTimeout", 5.0),
        read_timeout=duration(meta, "readTimeout", 3.0),
        write_timeout=duration(meta, "writeTimeout", duration(meta, "readTimeout", 3.0)),
        pool_size=integer(meta, "poolSize", 10 * (os.cpu_count() or 1)),
        pool_timeout=duration(meta, "poolTimeout", duration(meta, "readTimeout", 3.0) + 1),
        max_retries=integer({"r": retries}, "r", 3),
        min_retry_interval=duration(meta, "redisMinRetryInterval", 0.008),
        max_retry_interval=duration(meta, "redisMaxRetryInterval", 0.512),
    )


def _check_names(meta: Mapping[str, str], own: frozenset[str]) -> None:
    if meta.get("redistype", "node").lower() not in ("", "node"):
        raise RedisConfigError(f"redisType {meta['redistype']!r} is not supported (only node)")
    for name in sorted(REFUSED & meta.keys()):
        if boolean(meta, name):
            raise RedisConfigError(f"metadata {name!r} is not supported by this runtime")
    for name in sorted(meta.keys() & IGNORED):
        log.warning("redis metadata %r is not supported by this runtime; ignored", name)
    for name in sorted(meta.keys() - COMMON - REFUSED - IGNORED - own):
        log.warning("unknown redis metadata %r; ignored", name)


def _tls(settings: RedisSettings) -> dict[str, Any]:
    """SSLConnection arguments; a client certificate goes to a private temp folder, since the
    client reads it from files on every reconnect."""
    out: dict[str, Any] = {"connection_class": aioredis.SSLConnection}
    out["ssl_cert_reqs"] = "none" if settings.tls_insecure else "required"
    out["ssl_check_hostname"] = not settings.tls_insecure
    if settings.client_cert and settings.client_key:
        folder = tempfile.mkdtemp(prefix="redis-tls-")
        for name, text in (("certfile", settings.client_cert), ("keyfile", settings.client_key)):
            path = os.path.join(folder, f"{name}.pem")
            with open(path, "w", opener=lambda p, f: os.open(p, f, 0o600)) as out_file:
                out_file.write(text)
            out[f"ssl_{name}"] = path
    return out


def connect(settings: RedisSettings, *, extra_read_timeout: float = 0.0) -> aioredis.Redis:
    """A client (a pool, bytes in and out); nothing is sent until the first command."""
    backoff = ExponentialBackoff(cap=settings.max_retry_interval, base=settings.min_retry_interval)
    kwargs = _tls(settings) if settings.tls else {}
    pool = aioredis.BlockingConnectionPool(
        host=settings.host,
        port=settings.port,
        db=settings.db,
        username=settings.username,
        password=settings.password,
        socket_connect_timeout=settings.dial_timeout,
        socket_timeout=settings.read_timeout + extra_read_timeout,
        max_connections=settings.pool_size,
        timeout=settings.pool_timeout,
        retry=Retry(backoff, max(settings.max_retries, 0)),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        **kwargs,
    )
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


def describe(exc: RedisError | OSError) -> str:
    """A Redis client error as one line (the exception's own message, or its type)."""
    return str(exc) or type(exc).__name__
