"""Run apps beside their sidecars, as ``dapr run`` and ``dapr run -f`` do, in this one process.

Per app: start its sidecar, then its command as a child process in its own process group (cwd =
``appDirPath``) with the environment the Dapr CLI gives apps, and record ``appPID``/``appCommand``/
``cliPID`` in the sidecar's metadata. App output lines are shown as ``== APP - <appID> == <line>``
and kept in ``<appDirPath>/.dapr/logs/<appID>_app_<ts>.log``; the sidecar's log records go to
``<appID>_daprd_<ts>.log``. An app that exits takes its sidecar down; the others keep running.
``POST /v1.0/shutdown`` on a sidecar stops that app and its sidecar. Signals are the caller's
business: set ``stop`` to end everything.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import logging
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import IO, TextIO

from ._config import MAX_BODY_SIZE, SidecarConfig, private_dir
from ._guarded import GuardedApp, SpawnError, spawn
from ._ports import in_use, is_free
from ._runfile import AppConfig, SharedConfig
from ._sidecar import Sidecar

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_current_app: contextvars.ContextVar[str | None] = contextvars.ContextVar("app", default=None)
_LINE_LIMIT = 1 << 20


class RunnerError(Exception):
    """An app or its sidecar could not be started; the message names the app."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def app_protocol(shared: SharedConfig) -> str:
    """``APP_PROTOCOL`` as the Dapr CLI derives it (``appSSL`` upgrades http and grpc)."""
    protocol = shared.app_protocol.lower() or "http"
    if shared.app_ssl and protocol in ("http", "grpc"):
        return {"http": "https", "grpc": "grpcs"}[protocol]
    return protocol if protocol in ("http", "https", "grpc", "grpcs", "h2c") else ""


def sidecar_config(
    app: AppConfig, *, home: Path, dev_clock: bool, env: Mapping[str, str]
) -> SidecarConfig:
    """The sidecar settings for one app; unset ports become free ones."""
    s = app.shared
    return SidecarConfig(
        app_id=app.app_id,
        app_port=app.app_port if app.app_port > 0 else None,
        app_host=app.app_channel_address or "127.0.0.1",
        http_port=max(app.dapr_http_port, 0),
        grpc_port=app.dapr_grpc_port if app.dapr_grpc_port > 0 else free_port(),
        resources_paths=s.resources_paths,
        home=home,
        dev_clock=dev_clock,
        max_body_size=s.max_body_size or MAX_BODY_SIZE,
        enable_app_health_check=s.enable_app_health_check,
        app_health_check_path=s.app_health_check_path or "/healthz",
        app_health_probe_interval=float(s.app_health_probe_interval or 5),
        app_health_probe_timeout=(s.app_health_probe_timeout or 500) / 1000,
        app_health_threshold=s.app_health_threshold or 3,
        api_token=env.get("DAPR_API_TOKEN") or None,
        app_token=env.get("APP_API_TOKEN") or None,
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


class _AppRecords(logging.Filter):
    """Passes the records logged on behalf of one app (its sidecar's tasks)."""

    def __init__(self, app_id: str) -> None:
        super().__init__()
        self.app_id = app_id

    def filter(self, record: logging.LogRecord) -> bool:
        return _current_app.get() == self.app_id


class AppRun:
    """One app and its sidecar: start, supervise until something ends it, stop."""

    def __init__(
        self,
        app: AppConfig,
        *,
        home: Path,
        dev_clock: bool,
        env: Mapping[str, str],
        console: TextIO,
        grace: float,
        umask: int | None = None,
    ) -> None:
        self.app = app
        self.umask = umask
        self.env = env
        self.console = console
        self.grace = grace
        self.config = sidecar_config(app, home=home, dev_clock=dev_clock, env=env)
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
        elif self.sidecar.shutdown_requested.is_set():
            log.info("app %s: shutdown requested through the sidecar API", self.app_id)
        else:
            return None
        await self.stop(force=self.sidecar.force_shutdown)
        return code

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
        if self.config.http_port and not is_free(self.config.listen_host, self.config.http_port):
            raise RunnerError(f"app {self.app_id}: daprHTTPPort: {in_use(self.config.http_port)}")
        port = self.config.app_port
        if self.app.command and port and not is_free(self.config.app_host, port):
            raise RunnerError(f"app {self.app_id}: appPort: {in_use(port)} (an app left running?)")

    async def _start(self) -> None:
        if app_protocol(self.app.shared) != "http":
            raise RunnerError(f"app {self.app_id}: only appProtocol http is supported")
        stamp = time.strftime("%Y%m%d%H%M%S")
        if self.app.daprd_log.to_file:
            self._attach_daprd_log(self._log_path("daprd", stamp))
        await self._start_sidecar()
        if self.app.command:
            await self._spawn(self._log_path("app", stamp))

    async def _start_sidecar(self) -> None:
        try:
            await self.sidecar.start()
        except OSError as exc:
            port = self.config.http_port
            if port and exc.errno == errno.EADDRINUSE:
                raise RunnerError(f"app {self.app_id}: daprHTTPPort: {in_use(port)}") from exc
            raise RunnerError(f"app {self.app_id}: sidecar cannot listen on {port}: {exc}") from exc
        self._stack.push_async_callback(self.sidecar.stop)
        self.sidecar.extended["cliPID"] = str(os.getpid())

    async def _spawn(self, log_path: Path) -> None:
        if self.app.app_log.to_file:
            self._app_log = self._stack.enter_context(log_path.open("a", buffering=1))
            self.sidecar.extended["appLogPath"] = str(log_path)
        self.proc = await self._exec()
        self.sidecar.extended["appPID"] = str(self.proc.pid)
        self.sidecar.extended["appCommand"] = " ".join(self.app.command)
        self._pumps = [_pump(stream, self._emit) for stream, _ in self.proc.streams]
        log.info("app %s started (pid %s): %s", self.app_id, self.proc.pid, self.app.command)

    async def _exec(self) -> GuardedApp:
        env = app_env(
            self.app,
            self.config,
            http_port=self.sidecar.http_port,
            metrics_port=self.app.metrics_port if self.app.metrics_port > 0 else free_port(),
            base=self.env,
        )
        try:
            return await spawn(
                self.app.command,
                cwd=self.app.app_dir,
                env=env,
                grace=self.grace,
                limit=_LINE_LIMIT,
                umask=self.umask,
            )
        except (OSError, SpawnError) as exc:
            raise RunnerError(f"app {self.app_id}: {exc}") from exc

    async def _stop_app(self, force: bool) -> None:
        assert self.proc is not None
        await self.proc.stop(force=force or self.grace <= 0)
        await _drain(self._pumps)
        self.proc.close_streams()

    # logs --------------------------------------------------------------------------------------

    def _log_path(self, kind: str, stamp: str) -> Path:
        folder = private_dir(self.app.app_dir / ".dapr" / "logs")
        return folder / f"{self.app_id}_{kind}_{stamp}.log"

    def _attach_daprd_log(self, path: Path) -> None:
        handler = logging.FileHandler(path)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(_AppRecords(self.app_id))
        logging.getLogger().addHandler(handler)
        self._stack.callback(handler.close)
        self._stack.callback(logging.getLogger().removeHandler, handler)
        self.sidecar.extended["daprdLogPath"] = str(path)

    def _emit(self, line: str) -> None:
        text = f"== APP - {self.app_id} == {line}\n"
        if self.app.app_log.to_console:
            self.console.write(text)
            self.console.flush()
        if self._app_log is not None:
            self._app_log.write(text)


async def run_apps(
    apps: Sequence[AppConfig],
    *,
    home: Path,
    dev_clock: bool = False,
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
    base = dict(os.environ if env is None else env)
    stop = stop or asyncio.Event()
    out = console or sys.stdout
    runs = [
        AppRun(
            app, home=home, dev_clock=dev_clock, env=base, console=out, grace=grace, umask=app_umask
        )
        for app in apps
    ]
    for run in runs:
        run.check_ports()
    async with AsyncExitStack() as stack:
        for run in runs:
            await run.start(extended or {})
            stack.push_async_callback(run.stop)
        codes = await asyncio.gather(*(run.supervise(stop) for run in runs))
        await stop_in_order(runs)
    return {run.app_id: code for run, code in zip(runs, codes, strict=True) if code}


async def stop_in_order(runs: Sequence[AppRun]) -> None:
    """Stop every app in phases: no sidecar calls its app any more (jobs, reminders, actors
    deactivated while their app still answers), then the apps stop, then the sidecars."""
    await asyncio.gather(*(run.drain() for run in runs))
    await asyncio.gather(*(run.stop_app() for run in runs))
    await asyncio.gather(*(run.stop() for run in runs))


async def _first_of(waits: list[Awaitable[object]]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _pump(stream: asyncio.StreamReader, emit: Callable[[str], None]) -> asyncio.Task[None]:
    async def pump() -> None:
        while line := await _read_line(stream):
            emit(line.decode("utf-8", "replace").rstrip("\r\n"))

    return asyncio.create_task(pump())


async def _read_line(stream: asyncio.StreamReader) -> bytes:
    try:
        return await stream.readline()
    except ValueError:  # a line longer than the limit: emit what is buffered
        return await stream.read(_LINE_LIMIT)


async def _drain(pumps: list[asyncio.Task[None]]) -> None:
    """Let the output pumps finish; a grandchild may hold the pipes, so bound the wait."""
    if pumps:
        _, pending = await asyncio.wait(pumps, timeout=2.0)
        for task in pending:
            task.cancel()
