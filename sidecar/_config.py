"""Sidecar settings: read once at the edge (CLI or test) into a frozen object passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._dapr_config import TracingSpec

RUNTIME_VERSION = "1.18.3-local"  # the daprd version this runtime follows, marked as ours
MAX_BODY_SIZE = 4 * 1024 * 1024  # daprd's --max-body-size default (4Mi)


def default_home(project: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The runtime home: ``$SIDECAR_HOME``, else ``<project>/.dapr/sidecar`` (default project: the
    current folder). Jobs, reminders and the registry live there, so they follow the project whose
    state they belong to; two checkouts of one project never share them."""
    env = os.environ if env is None else env
    home = env.get("SIDECAR_HOME")
    if home:
        return Path(home).expanduser()
    return (project or Path.cwd()) / ".dapr" / "sidecar"


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can enter (0700), created if missing.

    It holds job payloads, actor state and a shared secret: nobody else on the machine may read
    them. Files inside are then unreachable to others whatever their own mode.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():  # an older or hand-made folder
        path.chmod(0o700)
    return path


SYNC_MODES = ("NORMAL", "FULL")


def default_sync(env: Mapping[str, str] | None = None) -> str:
    """SQLite ``synchronous`` for the job store: ``$SIDECAR_SYNC`` (normal or full), else NORMAL.

    NORMAL (WAL): every acknowledged job survives the kill of any process; an OS crash or power
    loss can lose the writes since the last checkpoint. FULL: it survives those too, at about a
    thirtieth of the create rate (one fsync per write).
    """
    env = os.environ if env is None else env
    mode = env.get("SIDECAR_SYNC", "NORMAL").upper()
    if mode not in SYNC_MODES:
        raise ValueError(f"SIDECAR_SYNC must be normal or full, not {env['SIDECAR_SYNC']!r}")
    return mode


@dataclass(frozen=True)
class SidecarConfig:
    """Everything one sidecar (one daprd equivalent) needs to start."""

    app_id: str
    app_port: int | None = None
    app_host: str = "127.0.0.1"
    app_protocol: str = "http"  # how the sidecar calls the app: "http" or "grpc"
    http_port: int = 3500  # 0 picks a free port
    listen_host: str = "127.0.0.1"
    grpc_port: int = 0  # the gRPC API (0 picks a free port)
    namespace: str = "default"
    resources_paths: tuple[Path, ...] = ()
    home: Path = field(default_factory=default_home)
    api_token: str | None = None  # DAPR_API_TOKEN: required on the sidecar's API
    app_token: str | None = None  # APP_API_TOKEN: sent to the app on every call
    dev_clock: bool = False
    max_body_size: int = MAX_BODY_SIZE
    enable_app_health_check: bool = False
    app_health_check_path: str = "/healthz"
    app_health_probe_interval: float = 5.0
    app_health_probe_timeout: float = 0.5
    app_health_threshold: int = 3
    app_max_concurrency: int = 0  # --app-max-concurrency; <= 0: unlimited
    enabled_features: tuple[str, ...] = ()  # from the Configuration file
    default_components: bool = False  # no resources paths: `dapr init`'s statestore and pubsub
    graceful_shutdown_seconds: float = 5.0
    placement: bool = True  # actors are enabled (the local registry plays placement)
    job_sync: str = field(default_factory=default_sync)  # SQLite synchronous of the job store
    metrics_port: int | None = None  # Prometheus metrics port (0: a free one); None: no metrics
    tracing: TracingSpec | None = None  # the Configuration's tracing section, when sampling
    metrics_path_labels: bool = True  # metrics.http.increasedCardinality (daprd's default: on)

    @property
    def scheduler_db(self) -> Path:
        return self.home / "scheduler.db"

    @property
    def registry_db(self) -> Path:
        return self.home / "registry.db"

    @classmethod
    def tokens_from_env(cls, env: Mapping[str, str] | None = None) -> dict[str, str | None]:
        env = os.environ if env is None else env
        return {
            "api_token": env.get("DAPR_API_TOKEN") or None,
            "app_token": env.get("APP_API_TOKEN") or None,
        }
