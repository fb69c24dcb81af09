"""One app beside its sidecar, as ``dapr run`` runs it: start, supervise, stop in phases.

Start: the sidecar, then the app's command under its guard (cwd = ``appDirPath``, the environment
the Dapr CLI gives apps), and ``appPID``/``appCommand``/``cliPID`` in the sidecar's metadata. App
output lines are shown as ``== APP - <appID> == <line>`` (one app alone: as written) and kept in
``<appDirPath>/.dapr/logs/<appID>_app_<ts>.log``; the sidecar's log records go to
``<appID>_daprd_<ts>.log``. Stop: ``drain`` (the sidecar stops calling the app), ``stop_app``,
then the sidecar.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

from ._app_env import app_env, app_protocol, sidecar_config
from ._channels import PROTOCOLS
from ._config import private_dir
from ._guarded import GuardedApp, SpawnError, spawn
from ._logs import like_root
from ._output import LINE_LIMIT, LineWriter, drain, pump
from ._ports import free_port, in_use, is_free
from ._runfile import AppConfig
from ._sidecar import Sidecar
from ._status import QuietLines, RunLines

log = logging.getLogger(__name__)
_current_app: contextvars.ContextVar[str | None] = contextvars.ContextVar("app", default=None)


def current_app() -> str | None:
    """The app on whose behalf the running task works (None: the runner itself)."""
    return _current_app.get()


class RunnerError(Exception):
    """An app or its sidecar could not be started; the message names the app."""


@dataclass(frozen=True)
class RunSettings:
    """What every app of one run shares."""

    home: Path
    env: Mapping[str, str]
    console: TextIO
    output: LineWriter
    dev_clock: bool = False
    enable_metrics: bool = True  # each sidecar serves Prometheus metrics on its metrics port
    grace: float = 5.0  # seconds between SIGTERM and SIGKILL
    umask: int | None = None  # the apps' umask (None: the runner's)
    prefixed: bool = True  # `== APP - <appID> == ` before each line (`-f`); one app: as written
    lines: RunLines = field(default_factory=QuietLines)  # the Dapr CLI's status lines


class _AppRecords(logging.Filter):
    """Passes the records logged on behalf of one app (its sidecar's tasks)."""

    def __init__(self, app_id: str) -> None:
        super().__init__()
        self.app_id = app_id

    def filter(self, record: logging.LogRecord) -> bool:
        return _current_app.get() == self.app_id


class AppRun:
    """One app and its sidecar: start, supervise until something ends it, stop."""

    def __init__(self, app: AppConfig, settings: RunSettings) -> None:
        self.app = app
        self.settings = settings
        self.grace = settings.grace
        self.config = sidecar_config(
            app,
            home=settings.home,
            dev_clock=settings.dev_clock,
            env=settings.env,
            metrics=settings.enable_metrics,
        )
        self.sidecar = Sidecar(self.config)
        self.proc: GuardedApp | None = None
        self._stack = AsyncExitStack()
        self._app_log: IO[str] | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._stopped = False
        self._app_stopped = False

    @property
    def app_id(self) -> str:
        return self.app.app_id

    async def start(self, extended: Mapping[str, str]) -> None:
        try:
            await self._as_app(self._start)
        except BaseException:
            await self.stop()
            raise
        self.sidecar.extended.update(extended)

    async def supervise(self, stop: asyncio.Event) -> int | None:
        """Wait for the app to exit, a shutdown request, or ``stop``. The first two stop this
        app here; ``stop`` is left to the caller, which stops every app in phases.

        Returns the app's exit code when it exited on its own, else None.
        """
        waits: list[Awaitable[object]] = [stop.wait(), self.sidecar.shutdown_requested.wait()]
        if self.proc is not None:
            waits.append(self.proc.wait())
        await _first_of(waits)
        code = None if self.proc is None else self.proc.returncode
        if code is not None:
            log.info("app %s exited with code %s", self.app_id, code)
            self.settings.lines.app_exited(self, code)
        elif self.sidecar.shutdown_requested.is_set():
            log.info("app %s: shutdown requested through the sidecar API", self.app_id)
        else:
            return None
        await self.stop(force=self.sidecar.force_shutdown)
        return code

    async def wait_ready(self) -> bool:
        """Until the sidecar is ready (its app listens) or the app exits; whether it is ready."""
        waits: list[Awaitable[object]] = [self.sidecar.ready.wait()]
        if self.proc is not None:
            waits.append(self.proc.wait())
        await _first_of(waits)
        return self.sidecar.ready.is_set() and (self.proc is None or self.proc.returncode is None)

    def describe(self) -> str:
        """``<appID> http://host:port (sidecar <port>)``, for the ready line."""
        sidecar = f"sidecar {self.sidecar.http_port}"
        if not self.config.app_port:
            return f"{self.app_id} (no app port, {sidecar})"
        return f"{self.app_id} http://{self.config.app_host}:{self.config.app_port} ({sidecar})"

    async def drain(self) -> None:
        """Stop the sidecar calling the app (jobs, reminders, actors) while the app still runs."""
        await self._as_app(self.sidecar.drain)

    async def stop_app(self, *, force: bool = False) -> None:
        """Stop the app's process (after ``drain``); its sidecar keeps serving its API."""
        if self.proc is not None and not self._app_stopped:
            self._app_stopped = True
            await self._as_app(lambda: self._stop_app(force))

    async def stop(self, *, force: bool = False) -> None:
        """Drain, stop the app, then stop the sidecar; each step happens once."""
        if not self._stopped:
            self._stopped = True
            await self.drain()
            await self.stop_app(force=force)
            await self._as_app(self._stack.aclose)

    # steps -------------------------------------------------------------------------------------

    async def _as_app(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run ``step`` in a task tagged with this app, so its tasks' records reach its log."""

        async def tagged() -> None:
            _current_app.set(self.app_id)
            await step()

        await asyncio.create_task(tagged(), name=f"app {self.app_id}")

    def check_ports(self) -> None:
        """RunnerError if a fixed port this app needs is taken (before anything is started)."""
        host, fixed = self.config.listen_host, self._sidecar_ports()
        if len(set(fixed.values())) < len(fixed):
            given = ", ".join(f"{name} {port}" for name, port in fixed.items())
            raise RunnerError(f"app {self.app_id}: one port given to two servers: {given}")
        for name, taken in fixed.items():
            if not is_free(host, taken):
                raise RunnerError(f"app {self.app_id}: {name}: {in_use(taken)}")
        port = self.config.app_port
        if self.app.command and port and not is_free(self.config.app_host, port):
            raise RunnerError(f"app {self.app_id}: appPort: {in_use(port)} (an app left running?)")

    async def _start(self) -> None:
        if app_protocol(self.app.shared) not in PROTOCOLS:
            raise RunnerError(
                f"app {self.app_id}: appProtocol {self.app.shared.app_protocol!r} is not"
                f" supported (supported: {', '.join(PROTOCOLS)})"
            )
        stamp = time.strftime("%Y%m%d%H%M%S")
        if self.app.daprd_log.to_file:
            self._attach_daprd_log(self._log_path("daprd", stamp))
        await self._start_sidecar()
        self.settings.lines.sidecar_up(self)
        if self.app.command:
            await self._spawn(self._log_path("app", stamp))

    def _sidecar_ports(self) -> dict[str, int]:
        """The sidecar's servers' ports that are known before it starts, by run-file field."""
        ports = {
            "daprHTTPPort": self.config.http_port,
            "daprGRPCPort": self.config.grpc_port,
            "metricsPort": self.config.metrics_port,
        }
        return {field: port for field, port in ports.items() if port}

    async def _start_sidecar(self) -> None:
        try:
            await self.sidecar.start()
        except OSError as exc:  # taken since check_ports: name the one that is taken now
            host = self.config.listen_host
            for name, taken in self._sidecar_ports().items():
                if not is_free(host, taken):
                    raise RunnerError(f"app {self.app_id}: {name}: {in_use(taken)}") from exc
            raise RunnerError(f"app {self.app_id}: the sidecar cannot listen: {exc}") from exc
        self._stack.push_async_callback(self.sidecar.stop)
        self.sidecar.extended["cliPID"] = str(os.getpid())

    async def _spawn(self, log_path: Path) -> None:
        if self.app.app_log.to_file:
            self._app_log = self._stack.enter_context(log_path.open("a", buffering=1))
            self.sidecar.extended["appLogPath"] = str(log_path)
        self.proc = await self._exec()
        self.sidecar.extended["appPID"] = str(self.proc.pid)
        self.sidecar.extended["appCommand"] = " ".join(self.app.command)
        self._pumps = [pump(stream, self._emit) for stream, _ in self.proc.streams]
        log.info("app %s started (pid %s): %s", self.app_id, self.proc.pid, self.app.command)

    async def _exec(self) -> GuardedApp:
        env = app_env(
            self.app,
            self.config,
            http_port=self.sidecar.http_port,
            metrics_port=self.sidecar.metrics_port or free_port(),
            base=self.settings.env,
        )
        try:
            return await spawn(
                self.app.command,
                cwd=self.app.app_dir,
                env=env,
                grace=self.grace,
                limit=LINE_LIMIT,
                umask=self.settings.umask,
            )
        except (OSError, SpawnError) as exc:
            raise RunnerError(f"app {self.app_id}: {exc}") from exc

    async def _stop_app(self, force: bool) -> None:
        assert self.proc is not None
        await self.proc.stop(force=force or self.grace <= 0)
        await drain(self._pumps)
        self.proc.close_streams()

    # logs --------------------------------------------------------------------------------------

    @property
    def logs_dir(self) -> Path:
        return self.app.app_dir / ".dapr" / "logs"

    def _log_path(self, kind: str, stamp: str) -> Path:
        private_dir(self.app.app_dir / ".dapr")  # logs, and by convention state files
        return private_dir(self.logs_dir) / f"{self.app_id}_{kind}_{stamp}.log"

    def note(self, text: str) -> None:
        """A line of the runner's own where the app's output goes (console, app log)."""
        console = self.settings.console if self.app.app_log.to_console else None
        self.settings.output.post(f"{text}\n", console, self._app_log)

    def _attach_daprd_log(self, path: Path) -> None:
        handler = logging.FileHandler(path)
        handler.setFormatter(like_root())
        handler.addFilter(_AppRecords(self.app_id))
        logging.getLogger().addHandler(handler)
        self._stack.callback(handler.close)
        self._stack.callback(logging.getLogger().removeHandler, handler)
        self.sidecar.extended["daprdLogPath"] = str(path)

    async def _emit(self, line: str) -> None:
        text = f"== APP - {self.app_id} == {line}\n" if self.settings.prefixed else f"{line}\n"
        console = self.settings.console if self.app.app_log.to_console else None
        await self.settings.output.write(text, console, self._app_log)


async def _first_of(waits: list[Awaitable[object]]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
