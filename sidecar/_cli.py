"""The ``sidecar`` command: ``sidecar run -f dapr.yaml`` or ``sidecar run --app-id X -- CMD``.

The only place that configures logging and installs signal handlers (SIGINT, SIGTERM).
Exit codes: 0 normal, 1 start-up error (one line on stderr), 2 usage error, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ._config import default_home
from ._runfile import AppConfig, LogDestination, RunFileError, SharedConfig, load_run_file
from ._runfile import default_resources_dir as _default_resources
from ._runner import LOG_FORMAT, RunnerError, run_apps
from .components import ComponentError

log = logging.getLogger(__name__)
_STARTUP_ERRORS = (RunFileError, RunnerError, ComponentError, OSError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sidecar", description="A local Dapr sidecar runtime.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run apps with their sidecars, like `dapr run`")
    run.add_argument("-f", "--run-file", type=Path, help="a dapr.yaml, or a folder holding one")
    run.add_argument("--app-id", "-a", help="the app's id (single-app mode)")
    run.add_argument("--app-port", "-p", type=int, default=0, help="port the app listens on")
    run.add_argument("--app-channel-address", default="127.0.0.1", help="host the app listens on")
    run.add_argument("--dapr-http-port", "-H", type=int, default=-1, help="default: a free port")
    run.add_argument("--dapr-grpc-port", "-G", type=int, default=-1, help="default: a free port")
    run.add_argument("--metrics-port", "-M", type=int, default=-1, help="default: a free port")
    run.add_argument(
        "--resources-path",
        "-d",
        action="append",
        type=Path,
        default=[],
        help="folder of component YAML (repeatable; default ~/.dapr/components if present)",
    )
    run.add_argument("--home", type=Path, help="runtime home (default $SIDECAR_HOME or ~/.sidecar)")
    run.add_argument("--dev-clock", action="store_true", help="enable the dev-clock extension")
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    run.add_argument("app_command", nargs=argparse.REMAINDER, help="-- CMD ... (optional)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = _command(args.app_command)
    if args.run_file is not None and (args.app_id or command):
        parser.error("-f cannot be combined with --app-id or a command")
    if args.run_file is None and not args.app_id:
        parser.error("give -f <dapr.yaml or folder>, or --app-id")
    _configure_logging(args.log_level.upper())
    try:
        return asyncio.run(_run(args, command))
    except _STARTUP_ERRORS as exc:
        sys.stderr.write(f"sidecar: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    if level != "DEBUG":  # one line per app call is noise, as daprd's default logging has none
        logging.getLogger("httpx").setLevel(logging.WARNING)


def _command(raw: list[str]) -> tuple[str, ...]:
    return tuple(raw[1:] if raw[:1] == ["--"] else raw)


async def _run(args: argparse.Namespace, command: tuple[str, ...]) -> int:
    apps, extended = _apps(args, command)
    home = (args.home or default_home()).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    received: list[int] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, sig, received, stop)
    try:
        await run_apps(apps, home=home, dev_clock=args.dev_clock, stop=stop, extended=extended)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 130 if signal.SIGINT in received else 0


def _on_signal(sig: int, received: list[int], stop: asyncio.Event) -> None:
    log.info("received %s; stopping apps and sidecars", signal.Signals(sig).name)
    received.append(sig)
    stop.set()


def _apps(
    args: argparse.Namespace, command: tuple[str, ...]
) -> tuple[list[AppConfig], dict[str, str]]:
    if args.run_file is not None:
        run_file = load_run_file(args.run_file)
        extended = {"runTemplatePath": str(run_file.path), "runTemplateName": run_file.name}
        return list(run_file.apps), extended
    return [single_app(args, command)], {}


def single_app(args: argparse.Namespace, command: tuple[str, ...]) -> AppConfig:
    """The one app of ``sidecar run --app-id ...``; its folder is the current directory."""
    fallback = _default_resources()
    resources = tuple(p.expanduser().resolve() for p in args.resources_path)
    shared = SharedConfig(
        resources_paths=resources or ((fallback,) if fallback else ()),
        daprd_log_destination=LogDestination.FILE if command else LogDestination.CONSOLE,
    )
    return AppConfig(
        app_id=args.app_id,
        app_dir=Path.cwd(),
        shared=shared,
        app_port=args.app_port,
        app_channel_address=args.app_channel_address,
        dapr_http_port=args.dapr_http_port,
        dapr_grpc_port=args.dapr_grpc_port,
        metrics_port=args.metrics_port,
        command=command,
    )
