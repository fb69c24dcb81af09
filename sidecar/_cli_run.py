"""``sidecar run`` and ``sidecar reset``: the runtime itself (``_cli`` parses the command line).

The only place that configures logging, the process umask and signal handlers (SIGINT, SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from . import _collector, _logs
from ._app_run import current_app
from ._config import default_home, private_dir
from ._dapr_config import ConfigFileError
from ._reset import ResetError, reset
from ._run_flags import FlagError, check_unsupported
from ._runfile import AppConfig, RunFileError, SharedConfig, load_run_file, project_folder
from ._runner import RunnerError, run_apps
from ._runs import RunRegistry
from ._single_app import resources, single_app
from ._status import StatusStyle
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


def run_or_reset(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``sidecar run`` or ``sidecar reset``, with the arguments parsed by ``_cli``."""
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


def _configure_logging(level: str, as_json: bool) -> None:
    _logs.configure(level, as_json, current_app)
    if level != "DEBUG":  # one line per app call is noise, as daprd's default logging has none
        logging.getLogger("httpx").setLevel(logging.WARNING)


def _command(raw: list[str]) -> tuple[str, ...]:
    return tuple(raw[1:] if raw[:1] == ["--"] else raw)


async def _run(args: argparse.Namespace, command: tuple[str, ...], app_umask: int) -> int:
    check_unsupported(args)
    _collector.settle()  # the imports frozen, the young generation larger: fewer full passes
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
