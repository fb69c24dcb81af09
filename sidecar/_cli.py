"""The ``sidecar`` command: ``sidecar run -f dapr.yaml``, ``sidecar run --app-id X -- CMD`` and
``sidecar reset``.

The only place that configures logging, the process umask and signal handlers (SIGINT, SIGTERM).
Exit codes: 0 normal, 1 start-up error (one line on stderr) or an app that exited with an error,
2 usage error, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _logs
from ._app_run import current_app
from ._config import default_home, private_dir
from ._reset import ResetError, reset
from ._runfile import AppConfig, LogDestination, RunFileError, SharedConfig, load_run_file
from ._runfile import default_resources_dir as _default_resources
from ._runner import RunnerError, run_apps
from .components import ComponentError

log = logging.getLogger(__name__)
_STARTUP_ERRORS = (RunFileError, RunnerError, ComponentError, ResetError, OSError)
_PRIVATE = 0o077  # files the runtime creates: owner only; apps get the caller's umask back


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sidecar", description="A local Dapr sidecar runtime.")
    commands = parser.add_subparsers(dest="command", required=True)
    shared = _shared_options()
    run = commands.add_parser(
        "run", parents=[shared], help="run apps with their sidecars, like `dapr run`"
    )
    run.add_argument("--app-port", "-p", type=int, default=0, help="port the app listens on")
    run.add_argument("--app-channel-address", default="127.0.0.1", help="host the app listens on")
    run.add_argument("--dapr-http-port", "-H", type=int, default=-1, help="default: a free port")
    run.add_argument("--dapr-grpc-port", "-G", type=int, default=-1, help="default: a free port")
    run.add_argument("--metrics-port", "-M", type=int, default=-1, help="default: a free port")
    run.add_argument(
        "--enable-metrics",
        type=_boolean,
        nargs="?",
        const=True,
        default=True,
        metavar="BOOL",
        help="serve Prometheus metrics on each sidecar's metrics port (default true;"
        " --enable-metrics=false: none, as daprd)",
    )
    run.add_argument("--dev-clock", action="store_true", help="enable the dev-clock extension")
    run.add_argument(
        "--config", type=Path, help="a Dapr Configuration file (its tracing and metrics sections)"
    )
    run.add_argument("app_command", nargs=argparse.REMAINDER, help="-- CMD ... (optional)")
    commands.add_parser(
        "reset",
        parents=[shared],
        help="delete the project's runtime home (jobs, reminders, registry) and its state files",
    )
    return parser


def _shared_options() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("-f", "--run-file", type=Path, help="a dapr.yaml, or a folder holding one")
    shared.add_argument("--app-id", "-a", help="the app's id (single-app mode)")
    shared.add_argument(
        "--resources-path",
        "-d",
        action="append",
        type=Path,
        default=[],
        help="folder of component YAML (repeatable; default ~/.dapr/components if present)",
    )
    shared.add_argument(
        "--home",
        type=Path,
        help="runtime home (default $SIDECAR_HOME, else .dapr/sidecar in the run file's folder,"
        " or in the current folder without -f)",
    )
    shared.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    shared.add_argument(
        "--log-as-json", action="store_true", help="log one JSON object a line, as daprd"
    )
    return shared


def _boolean(text: str) -> bool:
    """A Go-style boolean flag value (``true``/``false``, ``1``/``0``, ...)."""
    value = text.strip().lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text!r} (true or false)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = _command(getattr(args, "app_command", []))
    if args.run_file is not None and (args.app_id or command):
        parser.error("-f cannot be combined with --app-id or a command")
    if args.command == "run" and args.run_file is None and not args.app_id:
        parser.error("give -f <dapr.yaml or folder>, or --app-id")
    _configure_logging(args.log_level.upper(), args.log_as_json)
    app_umask = os.umask(_PRIVATE)
    try:
        if args.command == "reset":
            return asyncio.run(_reset(args))
        return asyncio.run(_run(args, command, app_umask))
    except _STARTUP_ERRORS as exc:
        sys.stderr.write(f"sidecar: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def _configure_logging(level: str, as_json: bool) -> None:
    _logs.configure(level, as_json, current_app)
    if level != "DEBUG":  # one line per app call is noise, as daprd's default logging has none
        logging.getLogger("httpx").setLevel(logging.WARNING)


def _command(raw: list[str]) -> tuple[str, ...]:
    return tuple(raw[1:] if raw[:1] == ["--"] else raw)


async def _run(args: argparse.Namespace, command: tuple[str, ...], app_umask: int) -> int:
    apps, extended, project = _apps(args, command)
    home = private_dir(_home(args, project))
    stop = asyncio.Event()
    received: list[int] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, sig, received, stop)
    try:
        failed = await run_apps(
            apps,
            home=home,
            dev_clock=args.dev_clock,
            enable_metrics=args.enable_metrics,
            stop=stop,
            extended=extended,
            app_umask=app_umask,
        )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return _exit_code(received, failed)


def _exit_code(received: list[int], failed: dict[str, int]) -> int:
    if signal.SIGINT in received:
        return 130
    if failed and not received:
        listed = ", ".join(f"{app} (code {code})" for app, code in failed.items())
        log.error("stopped because apps exited with errors: %s", listed)
        return 1
    return 0


async def _reset(args: argparse.Namespace) -> int:
    apps, _, project = _apps(args, ())
    await reset(apps, _home(args, project), base_dir=Path.cwd())
    return 0


def _home(args: argparse.Namespace, project: Path) -> Path:
    home: Path = args.home or default_home(project)
    return home.expanduser().resolve()


def _on_signal(sig: int, received: list[int], stop: asyncio.Event) -> None:
    log.info("received %s; stopping apps and sidecars", signal.Signals(sig).name)
    received.append(sig)
    stop.set()


def _apps(
    args: argparse.Namespace, command: tuple[str, ...]
) -> tuple[list[AppConfig], dict[str, str], Path]:
    """The apps to run, the metadata to add, and the project folder (where the home goes)."""
    if args.run_file is not None:
        run_file = load_run_file(args.run_file)
        extended = {"runTemplatePath": str(run_file.path), "runTemplateName": run_file.name}
        return list(run_file.apps), extended, run_file.path.parent
    if args.command == "reset":  # the home, and the state files of the components given
        shared = SharedConfig(resources_paths=_resources(args))
        return [AppConfig(args.app_id or "", Path.cwd(), shared)], {}, Path.cwd()
    return [single_app(args, command)], {}, Path.cwd()


def single_app(args: argparse.Namespace, command: tuple[str, ...]) -> AppConfig:
    """The one app of ``sidecar run --app-id ...``; its folder is the current directory."""
    shared = SharedConfig(
        resources_paths=_resources(args),
        daprd_log_destination=LogDestination.FILE if command else LogDestination.CONSOLE,
        config_file=args.config.expanduser().resolve() if args.config else None,
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


def _resources(args: argparse.Namespace) -> tuple[Path, ...]:
    """``--resources-path`` folders, else ``~/.dapr/components`` when it exists."""
    fallback = _default_resources()
    resources = tuple(p.expanduser().resolve() for p in args.resources_path)
    return resources or ((fallback,) if fallback else ())
