"""The ``sidecar`` command: ``sidecar run -f dapr.yaml``, ``sidecar run --app-id X -- CMD`` and
``sidecar reset``.

The only place that configures logging, the process umask and signal handlers (SIGINT, SIGTERM).
Exit codes, as the Dapr CLI's: 0 normal (also after Ctrl-C or SIGTERM), 1 start-up error (one
line on stderr) or an app that exited with an error, 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _logs
from ._app_run import current_app
from ._config import default_home, private_dir
from ._dapr_config import ConfigFileError
from ._reset import ResetError, reset
from ._run_flags import LOG_LEVELS, FlagError, add_run_flags, check_unsupported
from ._runfile import AppConfig, RunFileError, SharedConfig, load_run_file, project_folder
from ._runner import RunnerError, run_apps
from ._runs import RunRegistry
from ._single_app import resources, single_app
from ._status import StatusStyle
from ._stop_list import list_text, stop_command
from .components import ComponentError

log = logging.getLogger(__name__)
_STARTUP_ERRORS = (
    RunFileError,
    RunnerError,
    ComponentError,
    ResetError,
    FlagError,
    ConfigFileError,
    OSError,
)
_PRIVATE = 0o077  # files the runtime creates: owner only; apps get the caller's umask back


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sidecar", description="A local Dapr sidecar runtime.")
    commands = parser.add_subparsers(dest="command", required=True)
    shared = _shared_options()
    run = commands.add_parser(
        "run", parents=[shared], help="run apps with their sidecars, like `dapr run`"
    )
    add_run_flags(run)
    run.add_argument("app_command", nargs=argparse.REMAINDER, help="-- CMD ... (optional)")
    stop = commands.add_parser("stop", help="stop runs started elsewhere, like `dapr stop`")
    stop.add_argument("-f", "--run-file", type=Path, help="the runs of this dapr.yaml or folder")
    stop.add_argument("--app-id", "-a", action="append", default=[], help="the run of this app")
    stop.add_argument("app_ids", nargs="*", help="more app ids")
    listing = commands.add_parser("list", help="the runs on this machine, like `dapr list`")
    listing.add_argument("-o", "--output", default="table", choices=["table", "json", "yaml"])
    commands.add_parser(
        "reset",
        parents=[shared],
        help="delete the project's runtime home (jobs, reminders, registry) and its state files",
    )
    return parser


def _shared_options() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("-f", "--run-file", type=Path, help="a dapr.yaml, or a folder holding one")
    shared.add_argument(
        "--app-id", "-a", help="the app's id (single-app mode; default: two random words)"
    )
    shared.add_argument(
        "--resources-path",
        "--components-path",
        "-d",
        dest="resources_path",
        action="append",
        default=[],
        help="folder of component YAML (repeatable or comma-separated; default"
        " ~/.dapr/components if present, else dapr init's statestore and pubsub, built in)",
    )
    shared.add_argument(
        "--home",
        type=Path,
        help="runtime home (default $SIDECAR_HOME, else .dapr/sidecar in the run file's folder,"
        " or without -f in the nearest folder up holding a dapr.yaml, else the current folder)",
    )
    shared.add_argument(
        "--log-level",
        default="info",
        choices=LOG_LEVELS,
        help="the sidecar's log records on stderr (and in its log file)",
    )
    shared.add_argument(
        "--log-as-json",
        action="store_true",
        help="log one JSON object a line, in daprd's fields (and the CLI's status lines)",
    )
    return shared


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("stop", "list"):
        return _stop_or_list(parser, args)
    command = _command(getattr(args, "app_command", []))
    if args.run_file is not None and (args.app_id or command):
        parser.error("-f cannot be combined with --app-id or a command")
    _configure_logging(_LEVELS.get(args.log_level, args.log_level.upper()), args.log_as_json)
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


_LEVELS = {"warn": "WARNING", "fatal": "CRITICAL", "panic": "CRITICAL"}


def _stop_or_list(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "list":
        sys.stdout.write(list_text(args.output))
        return 0
    if args.run_file is None and not (args.app_id or args.app_ids):
        parser.error("stop: give -f <dapr.yaml or folder>, or --app-id")
    return stop_command(args.run_file, [*args.app_id, *args.app_ids])


def _configure_logging(level: str, as_json: bool) -> None:
    _logs.configure(level, as_json, current_app)
    if level != "DEBUG":  # one line per app call is noise, as daprd's default logging has none
        logging.getLogger("httpx").setLevel(logging.WARNING)


def _command(raw: list[str]) -> tuple[str, ...]:
    return tuple(raw[1:] if raw[:1] == ["--"] else raw)


async def _run(args: argparse.Namespace, command: tuple[str, ...], app_umask: int) -> int:
    check_unsupported(args)
    # Everything imported so far lives as long as the process: out of the collector's sight, a
    # full collection no longer walks it (~95,000 objects, a stall of 40-130 ms at a time).
    gc.freeze()
    apps, extended, project = _apps(args, command)
    home = private_dir(_home(args, project))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, sig, stop)
    try:
        failed = await run_apps(
            apps,
            home=home,
            dev_clock=args.dev_clock,
            enable_metrics=args.enable_metrics,
            stop=stop,
            extended=extended,
            app_umask=app_umask,
            prefixed=args.run_file is not None,
            status=StatusStyle.JSON if args.log_as_json else StatusStyle.TEXT,
            registry=RunRegistry(),
        )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return _exit_code(failed)


def _exit_code(failed: dict[str, int]) -> int:
    """As ``dapr run``: 0 after a signal or when every app exited with 0; 1 when one failed."""
    if failed:
        listed = ", ".join(f"{app} (code {code})" for app, code in failed.items())
        log.error("apps exited with errors: %s", listed)
        return 1
    return 0


async def _reset(args: argparse.Namespace) -> int:
    apps, _, project = _apps(args, ())
    await reset(apps, _home(args, project), base_dir=Path.cwd())
    return 0


def _home(args: argparse.Namespace, project: Path) -> Path:
    home: Path = args.home or default_home(project)
    return home.expanduser().resolve()


def _on_signal(sig: int, stop: asyncio.Event) -> None:
    log.info("received %s; stopping apps and sidecars", signal.Signals(sig).name)
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
        shared = SharedConfig(resources_paths=resources(args))
        return [AppConfig(args.app_id or "", Path.cwd(), shared)], {}, project_folder(Path.cwd())
    return [single_app(args, command)], {}, project_folder(Path.cwd())
