"""Run apps beside their sidecars, as ``dapr run`` and ``dapr run -f`` do, in this one process.

Each app is an :class:`AppRun` (``_app_run.py``). An app that exits takes its sidecar down; the
others keep running. ``POST /v1.0/shutdown`` on a sidecar stops that app and its sidecar. When
every app is up, one ``ready:`` line names each app's URL and sidecar port. Signals are the
caller's business: set ``stop`` to end everything, in phases (``stop_in_order``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TextIO

from ._app_env import app_env, app_protocol, sidecar_config
from ._app_run import AppRun, RunnerError, RunSettings
from ._logs import LOG_FORMAT
from ._output import LineWriter
from ._ports import free_port
from ._runfile import AppConfig
from ._runs import RunRegistry
from ._status import QuietLines, RunFileLines, RunLines, SingleAppLines, Status, StatusStyle

__all__ = [
    "LOG_FORMAT",
    "AppRun",
    "RunnerError",
    "app_env",
    "app_protocol",
    "free_port",
    "run_apps",
    "sidecar_config",
    "stop_in_order",
]
log = logging.getLogger(__name__)


async def run_apps(
    apps: Sequence[AppConfig],
    *,
    home: Path,
    dev_clock: bool = False,
    enable_metrics: bool = True,
    env: Mapping[str, str] | None = None,
    stop: asyncio.Event | None = None,
    grace: float = 5.0,
    console: TextIO | None = None,
    extended: Mapping[str, str] | None = None,
    app_umask: int | None = None,
    prefixed: bool = True,
    status: StatusStyle | None = None,
    registry: RunRegistry | None = None,
) -> dict[str, int]:
    """Start every app with its sidecar; return when all have exited or ``stop`` is set.

    Raises RunnerError (or the sidecar's ComponentError) when one cannot start; those already
    started are stopped first. ``extended`` adds metadata such as ``runTemplatePath``;
    ``app_umask`` is the umask the apps get (default: the runner's); ``prefixed`` puts
    ``== APP - <appID> ==`` before each app output line, as ``dapr run -f`` does. Returns the
    apps that exited on their own with a non-zero code, and those codes. With ``status``, the
    Dapr CLI's status lines are printed too (those of ``dapr run -f`` when ``prefixed``);
    ``registry`` records the run for ``sidecar list`` and ``sidecar stop`` while it runs.
    """
    output = LineWriter()
    console = console or sys.stdout
    settings = RunSettings(
        home=home,
        env=dict(os.environ if env is None else env),
        console=console,
        output=output,
        lines=_lines(status, output, console, prefixed),
        dev_clock=dev_clock,
        enable_metrics=enable_metrics,
        grace=grace,
        umask=app_umask,
        prefixed=prefixed,
    )
    try:
        runs = [AppRun(app, settings) for app in apps]
        return await _run(runs, stop or asyncio.Event(), extended or {}, registry)
    finally:
        if registry is not None:
            registry.remove()
        output.close()


def _lines(
    style: StatusStyle | None, output: LineWriter, console: TextIO, run_file: bool
) -> RunLines:
    if style is None:
        return QuietLines()
    status = Status(output, console, sys.stderr, as_json=style is StatusStyle.JSON)
    return RunFileLines(status) if run_file else SingleAppLines(status)


async def _run(
    runs: Sequence[AppRun],
    stop: asyncio.Event,
    extended: Mapping[str, str],
    registry: RunRegistry | None,
) -> dict[str, int]:
    for run in runs:
        run.check_ports()
    lines = runs[0].settings.lines if runs else QuietLines()
    async with AsyncExitStack() as stack:
        for run in runs:
            lines.starting(run)
            await run.start(extended)
            stack.push_async_callback(run.stop)
            lines.started(run)
        if registry is not None:
            registry.record(runs, extended)
        announcer = asyncio.create_task(announce_ready(runs))
        stack.callback(announcer.cancel)
        codes = await asyncio.gather(*(run.supervise(stop) for run in runs))
        lines.shutting_down(signalled=stop.is_set())
        await stop_in_order(runs)
    for run in runs:
        lines.stopped(run)
    return {run.app_id: code for run, code in zip(runs, codes, strict=True) if code}


async def announce_ready(runs: Sequence[AppRun]) -> None:
    """Once every app is ready (or has exited), log one line: each ready app and its ports."""
    ready = await asyncio.gather(*(run.wait_ready() for run in runs))
    parts = [run.describe() for run, up in zip(runs, ready, strict=True) if up]
    if parts:
        log.info("ready: %s", ", ".join(parts))


async def stop_in_order(runs: Sequence[AppRun]) -> None:
    """Stop every app in phases: no sidecar calls its app any more (jobs, reminders, actors
    deactivated while their app still answers), then the apps stop, then the sidecars."""
    await asyncio.gather(*(run.drain() for run in runs))
    await asyncio.gather(*(run.stop_app() for run in runs))
    await asyncio.gather(*(run.stop() for run in runs))
