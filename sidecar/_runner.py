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

from ._app_env import app_env, app_protocol, free_port, sidecar_config
from ._app_run import AppRun, RunnerError, RunSettings
from ._logs import LOG_FORMAT
from ._output import LineWriter
from ._runfile import AppConfig

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
) -> dict[str, int]:
    """Start every app with its sidecar; return when all have exited or ``stop`` is set.

    Raises RunnerError (or the sidecar's ComponentError) when one cannot start; those already
    started are stopped first. ``extended`` adds metadata such as ``runTemplatePath``;
    ``app_umask`` is the umask the apps get (default: the runner's). Returns the apps that
    exited on their own with a non-zero code, and those codes.
    """
    output = LineWriter()
    settings = RunSettings(
        home=home,
        env=dict(os.environ if env is None else env),
        console=console or sys.stdout,
        output=output,
        dev_clock=dev_clock,
        enable_metrics=enable_metrics,
        grace=grace,
        umask=app_umask,
    )
    try:
        runs = [AppRun(app, settings) for app in apps]
        return await _run(runs, stop or asyncio.Event(), extended or {})
    finally:
        output.close()


async def _run(
    runs: Sequence[AppRun], stop: asyncio.Event, extended: Mapping[str, str]
) -> dict[str, int]:
    for run in runs:
        run.check_ports()
    async with AsyncExitStack() as stack:
        for run in runs:
            await run.start(extended)
            stack.push_async_callback(run.stop)
        announcer = asyncio.create_task(announce_ready(runs))
        stack.callback(announcer.cancel)
        codes = await asyncio.gather(*(run.supervise(stop) for run in runs))
        await stop_in_order(runs)
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
