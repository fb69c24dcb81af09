"""The ``sidecar`` command: ``sidecar run -f dapr.yaml``, ``sidecar run --app-id X -- CMD``,
``sidecar stop``, ``sidecar list`` and ``sidecar reset``.

``stop`` and ``list`` import only what they need (a fraction of a second, as ``dapr list``);
``run`` and ``reset`` are in ``_cli_run``. Exit codes, as the Dapr CLI's: 0 normal (also after
Ctrl-C or SIGTERM), 1 start-up error (one line on stderr) or an app that exited with an error,
2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._run_flags import LOG_LEVELS, add_run_flags
from ._stop_list import list_text, stop_command


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
    from ._cli_run import run_or_reset  # the whole runtime: only for these commands

    return run_or_reset(parser, args)


def _stop_or_list(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "list":
        sys.stdout.write(list_text(args.output))
        return 0
    if args.run_file is None and not (args.app_id or args.app_ids):
        parser.error("stop: give -f <dapr.yaml or folder>, or --app-id")
    return stop_command(args.run_file, [*args.app_id, *args.app_ids])
