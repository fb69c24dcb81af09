"""What the Dapr CLI gives each app: its sidecar's settings, its environment, free ports."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ._config import MAX_BODY_SIZE, SidecarConfig
from ._dapr_config import load_config
from ._ports import free_port
from ._runfile import AppConfig, SharedConfig


def app_protocol(shared: SharedConfig) -> str:
    """``APP_PROTOCOL`` as the Dapr CLI derives it (``appSSL`` upgrades http and grpc)."""
    protocol = shared.app_protocol.lower() or "http"
    if shared.app_ssl and protocol in ("http", "grpc"):
        return {"http": "https", "grpc": "grpcs"}[protocol]
    return protocol if protocol in ("http", "https", "grpc", "grpcs", "h2c") else ""


def sidecar_config(
    app: AppConfig, *, home: Path, dev_clock: bool, env: Mapping[str, str], metrics: bool = True
) -> SidecarConfig:
    """The sidecar settings for one app; unset ports become free ones, none of them a port given
    for another of its servers (the metrics port when the sidecar starts; ``metrics`` False:
    none)."""
    s = app.shared
    dapr_config = load_config(s.config_file)
    metrics = metrics and dapr_config.metrics_enabled
    given = (app.app_port, app.dapr_http_port, app.dapr_grpc_port, app.metrics_port)
    http_port = app.dapr_http_port if app.dapr_http_port > 0 else free_port(besides=given)
    grpc_port = app.dapr_grpc_port if app.dapr_grpc_port > 0 else free_port(besides=given)
    return SidecarConfig(
        app_id=app.app_id,
        app_port=app.app_port if app.app_port > 0 else None,
        app_host=app.app_channel_address or "127.0.0.1",
        app_protocol=app_protocol(s) or "http",
        http_port=http_port,
        grpc_port=grpc_port,
        resources_paths=s.resources_paths,
        home=home,
        dev_clock=dev_clock,
        max_body_size=s.max_body_size or MAX_BODY_SIZE,
        enable_app_health_check=s.enable_app_health_check,
        app_health_check_path=s.app_health_check_path or "/healthz",
        app_health_probe_interval=float(s.app_health_probe_interval or 5),
        app_health_probe_timeout=(s.app_health_probe_timeout or 500) / 1000,
        app_health_threshold=s.app_health_threshold or 3,
        app_max_concurrency=max(s.app_max_concurrency, 0),
        enabled_features=dapr_config.features,
        default_components=not s.resources_paths,
        listen_host=s.api_listen_address or "127.0.0.1",
        placement=not s.placement_disabled,
        api_token=env.get("DAPR_API_TOKEN") or None,
        app_token=env.get("APP_API_TOKEN") or None,
        metrics_port=max(app.metrics_port, 0) if metrics else None,
        tracing=dapr_config.tracing,
        metrics_path_labels=dapr_config.increased_cardinality,
    )


def app_env(
    app: AppConfig,
    config: SidecarConfig,
    *,
    http_port: int,
    metrics_port: int,
    base: Mapping[str, str],
) -> dict[str, str]:
    """The runner's environment plus what the Dapr CLI sets, then the template's ``env``."""
    env = {**base, "PYTHONUNBUFFERED": "1", "APP_ID": app.app_id}
    env["APP_CHANNEL_ADDRESS"] = app.app_channel_address
    if app.app_port > 0:
        env["APP_PORT"] = str(app.app_port)
    env["DAPR_HTTP_PORT"] = str(http_port)
    env["DAPR_GRPC_PORT"] = str(config.grpc_port)
    env["DAPR_METRICS_PORT"] = str(metrics_port)
    env["APP_PROTOCOL"] = app_protocol(app.shared)
    return {**env, **app.shared.env}
