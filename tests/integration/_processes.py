"""One helper per binary a test starts (STYLE.md 17): ``python -m sidecar run``, the apps
(``python -m agent``, ``python -m notifier``) and the recording app.

Each process runs in a session of its own, with stdout and stderr appended to log files (kept
across restarts, one marker line per start) and is stopped by its process group. Every wait on a
process fails with an :class:`AssertionError` that carries the process's own output, so a test that
times out under load says what the process was doing instead of a bare ``TimeoutError``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TypeVar

import httpx

from sidecar._runner import free_port

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # upper bound of any wait on a process; generous, so a loaded machine is not a failure
_STARTED: list[subprocess.Popen[bytes]] = []


@atexit.register
def _kill_leftovers() -> None:
    """Last resort (an interrupted run): no process group started here outlives pytest."""
    for proc in _STARTED:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = WAIT) -> T:
    """Poll ``check`` until it returns a truthy value, failing after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.05)


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free a moment ago (and not handed out before)."""
    return [free_port() for _ in range(count)]


def scrubbed_env(*prefixes: str) -> dict[str, str]:
    """This process's environment without the variables that start with ``prefixes``."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


class Process:
    """A real process started by a test; see the module docstring."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = REPO_ROOT,
        stderr_log: Path | None = None,
        stdout_pipe: bool = False,
    ) -> None:
        self.name = name
        self.stdout_pipe = stdout_pipe  # stdout into a pipe the test may read (or leave full)
        self.args = list(args)
        self.log = log
        self.stderr_log = stderr_log  # None: stderr goes to ``log`` too
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Process:
        self.starts += 1
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as files:  # the child keeps its own copies of the descriptors
            out = files.enter_context(self.log.open("ab"))
            err: int | IO[bytes] = subprocess.STDOUT
            if self.stderr_log is not None:
                err = files.enter_context(self.stderr_log.open("ab"))
            out.write(f"--- {self.name} start #{self.starts} at {time.time():.3f}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.args,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.stdout_pipe else out,
                stderr=err,
                start_new_session=True,
            )
        _STARTED[:] = [p for p in _STARTED if p.poll() is None] + [self.proc]
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} was never started"
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process itself (not its group)."""
        if self.alive():
            os.kill(self.pid, sig)

    def signal_group(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process group, as a terminal sends Ctrl-C to its foreground job."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    def kill9(self) -> None:
        """SIGKILL the whole process group and reap the leader."""
        if self.proc is not None:
            self.signal_group(signal.SIGKILL)
            self.proc.wait()
            if self.proc.stdout is not None:
                self.proc.stdout.close()

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the group, SIGKILL it after ``timeout``; safe after kills and before a start."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self.kill9()

    # output and waits --------------------------------------------------------------------------

    def stdout(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stderr(self) -> str:
        if self.stderr_log is None:
            return self.stdout()
        return self.stderr_log.read_text(errors="replace") if self.stderr_log.exists() else ""

    def output(self) -> str:
        """Everything the process wrote (stdout, then stderr when kept apart)."""
        return self.stdout() if self.stderr_log is None else self.stdout() + self.stderr()

    def describe(self, limit: int = 6000) -> str:
        """Pid, state and the tail of the output, for assertion messages."""
        state = "running" if self.alive() else f"exited with {self.returncode}"
        text = self.stdout()[-limit:]
        if self.stderr_log is not None:
            text += f"\n--- {self.name} stderr ---\n{self.stderr()[-limit:]}"
        pid = self.proc.pid if self.proc else "-"
        return (
            f"--- {self.name} (pid {pid}, {state}) output ---\n{text}\n--- end of {self.name} ---"
        )

    async def until(
        self,
        check: Callable[[], Awaitable[T | None]],
        what: str,
        timeout: float = WAIT,
        *,
        while_running: bool = True,
    ) -> T:
        """:func:`eventually`; fails early if the process exits (``while_running``), and with the
        process's output in the message either way."""

        async def checked() -> T | None:
            if while_running and not self.alive():
                raise AssertionError(f"{self.name} exited while waiting for {what}")
            return await check()

        try:
            return await eventually(checked, timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}\n{self.describe()}"
            ) from None
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.describe()}") from None

    async def wait_exit(self, timeout: float = WAIT) -> int:
        """The exit code, once the process has exited."""

        async def exited() -> bool:
            return not self.alive()

        await self.until(exited, "it to exit", timeout, while_running=False)
        code = self.returncode
        assert code is not None
        return code

    async def wait_http(
        self, client: httpx.AsyncClient, url: str, status: int, timeout: float = WAIT
    ) -> httpx.Response:
        """Until ``GET url`` answers ``status`` (connection errors count as not yet)."""

        async def answered() -> httpx.Response | None:
            try:
                response = await client.get(url)
            except httpx.HTTPError:
                return None
            return response if response.status_code == status else None

        return await self.until(answered, f"GET {url} to answer {status}", timeout)


class SidecarProcess(Process):
    """``python -m sidecar run ARGS`` (one app, or a whole run file with ``-f``), or another
    ``sidecar`` subcommand."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        log: Path,
        name: str = "sidecar",
        cwd: Path = REPO_ROOT,
        env: Mapping[str, str] | None = None,
        stderr_log: Path | None = None,
        subcommand: str = "run",
    ) -> None:
        base = scrubbed_env("DAPR_", "APP_")
        base.update(env or {})
        command = [sys.executable, "-m", "sidecar", subcommand, *args]
        super().__init__(name, command, log=log, env=base, cwd=cwd, stderr_log=stderr_log)
        self.http_port = 0
        self.grpc_port = 0
        self.url = ""
        self.metrics_url = ""  # set when the test gives it a --metrics-port

    @classmethod
    def for_app(
        cls,
        home: Path,
        app_id: str,
        app_port: int | None,
        *extra: str,
        log: Path | None = None,
        env: Mapping[str, str] | None = None,
        http_port: int | None = None,
    ) -> SidecarProcess:
        """The sidecar of one app that runs separately, on a fixed (or free) HTTP port and a free
        gRPC port."""
        port, grpc_port = http_port or free_port(), free_port()
        args = ["--app-id", app_id, "--dapr-http-port", str(port), "--home", str(home), *extra]
        args += ["--dapr-grpc-port", str(grpc_port)]
        if app_port:
            args += ["--app-port", str(app_port)]
        log = log or home.parent / f"{app_id}-sidecar.log"
        sidecar = cls(args, log=log, name=f"{app_id}-sidecar", env=env)
        sidecar.http_port, sidecar.url = port, f"http://127.0.0.1:{port}"
        sidecar.grpc_port = grpc_port
        return sidecar

    def start(self) -> SidecarProcess:
        super().start()
        return self

    async def wait_healthy(
        self, client: httpx.AsyncClient, path: str = "/v1.0/healthz", timeout: float = WAIT
    ) -> None:
        await self.wait_http(client, self.url + path, 204, timeout)


class AppProcess(Process):
    """``python -m <module>`` (the agent or the notifier) from the repo root."""

    def __init__(self, module: str, port: int, env: Mapping[str, str], log: Path) -> None:
        base = scrubbed_env("DAPR_", "PM_", "APP_")
        base |= {"APP_PORT": str(port), "PYTHONUNBUFFERED": "1", **env}
        super().__init__(module, [sys.executable, "-m", module], log=log, env=base)
        self.module = module
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> AppProcess:
        super().start()
        return self

    async def wait_healthy(
        self, client: httpx.AsyncClient, path: str = "/healthz", timeout: float = WAIT
    ) -> None:
        await self.wait_http(client, self.url + path, 200, timeout)
