"""The one app of ``sidecar run [--app-id X] [flags] [-- CMD]``, from ``dapr run``'s flags."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from coolname import generate_slug

from ._run_flags import FlagError, listen_host
from ._runfile import (
    AppConfig,
    LogDestination,
    SharedConfig,
    dapr_dir,
    default_config_file,
    default_resources_dir,
    parse_quantity,
)

log = logging.getLogger(__name__)


def new_app_id() -> str:
    """An app id as the Dapr CLI makes one up: two lower-case words joined by a dash."""
    app_id: str = generate_slug(2)
    log.info("no --app-id given: the app's id is %s", app_id)
    return app_id


def single_app(args: argparse.Namespace, command: tuple[str, ...]) -> AppConfig:
    """The app of a single-app run; its folder is the current directory."""
    return AppConfig(
        app_id=args.app_id or new_app_id(),
        app_dir=Path.cwd(),
        shared=_shared(args, command),
        app_port=max(args.app_port, 0),
        app_channel_address=args.app_channel_address,
        dapr_http_port=args.dapr_http_port,
        dapr_grpc_port=args.dapr_grpc_port,
        metrics_port=args.metrics_port,
        command=command,
    )


# flags that are SharedConfig fields of the same name, taken as they are given
_AS_GIVEN = (
    "app_protocol",
    "app_ssl",
    "enable_app_health_check",
    "app_health_check_path",
    "app_health_probe_interval",
    "app_health_probe_timeout",
    "app_health_threshold",
    "app_max_concurrency",
)


def _shared(args: argparse.Namespace, command: tuple[str, ...]) -> SharedConfig:
    return SharedConfig(
        resources_paths=resources(args),
        config_file=config_file(args),
        max_body_size=_size(args.max_body_size),
        api_listen_address=listen_host(args),
        placement_disabled=args.placement_host_address == "",
        daprd_log_destination=LogDestination.FILE if command else LogDestination.CONSOLE,
        **{name: getattr(args, name) for name in _AS_GIVEN},
    )


def resources(args: argparse.Namespace) -> tuple[Path, ...]:
    """``--resources-path`` folders (repeatable, comma-separated), else ``~/.dapr/components``
    when it exists, else none (the sidecar then uses `dapr init`'s components, built in)."""
    given = [p for raw in args.resources_path for p in str(raw).split(",") if p.strip()]
    paths = tuple(Path(p.strip()).expanduser().resolve() for p in given)
    fallback = default_resources_dir(dapr_dir(getattr(args, "runtime_path", None)))
    return paths or ((fallback,) if fallback else ())


def config_file(args: argparse.Namespace) -> Path | None:
    """``--config``, else ``~/.dapr/config.yaml`` when it exists (None: the built-in one)."""
    if args.config is not None:
        path: Path = args.config.expanduser().resolve()
        if not path.is_file():
            raise FlagError(f"--config {args.config}: no such file")
        return path
    return default_config_file(dapr_dir(args.runtime_path))


def _size(text: str) -> int | None:
    try:
        return parse_quantity(text) if text else None
    except ValueError as exc:
        raise FlagError(f"--max-body-size: {exc}") from None
