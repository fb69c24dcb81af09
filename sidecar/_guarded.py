"""An app's command, started under the guard (``_guard.py``) so it cannot outlive the runner.

The runner owns the app's output pipes (so waiting for the guard never waits for a stray
grandchild that still holds them) and learns the app's own pid from the guard's report pipe.
Stopping is the guard's job: SIGTERM means "SIGTERM the app's group, SIGKILL after the grace
period", SIGUSR1 "kill it now"; only a guard that does not answer is killed from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)
GUARD = Path(__file__).with_name("_guard.py")
_REPORT_TIMEOUT = 30.0  # the guard reports as soon as it has started the command
_STOP_MARGIN = 5.0  # on top of the grace period, before a silent guard is killed


class SpawnError(Exception):
    """The command could not be started (not found, not executable, ...)."""


class GuardedApp:
    """The running app: its pid, its output streams, and its guard."""

    def __init__(
        self,
        guard: asyncio.subprocess.Process,
        pid: int,
        streams: list[tuple[asyncio.StreamReader, asyncio.BaseTransport]],
        grace: float,
    ) -> None:
        self.guard = guard
        self.pid = pid
        self.streams = streams
        self.grace = grace

    @property
    def returncode(self) -> int | None:
        return self.guard.returncode

    async def wait(self) -> int:
        return await self.guard.wait()

    async def stop(self, *, force: bool = False) -> int:
        """Ask the guard to end the app (at once with ``force``); return the app's exit code."""
        if self.guard.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.guard.send_signal(signal.SIGUSR1 if force else signal.SIGTERM)
            try:
                async with asyncio.timeout(self.grace + _STOP_MARGIN):
                    return await self.guard.wait()
            except TimeoutError:
                log.warning("the guard of app pid %s did not answer; killing both", self.pid)
                for group in (self.guard.pid, self.pid or self.guard.pid):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(group, signal.SIGKILL)
        return await self.guard.wait()

    def close_streams(self) -> None:
        for _, transport in self.streams:
            transport.close()


async def spawn(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    grace: float,
    limit: int,
    umask: int | None = None,
) -> GuardedApp:
    """Start ``command`` under a guard; SpawnError if it cannot be started."""
    report_r, report_w = os.pipe()
    pipes = [os.pipe(), os.pipe()]  # stdout, stderr
    try:
        guard = await asyncio.create_subprocess_exec(
            *_guard_command(command, grace, umask, report_w),
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=pipes[0][1],
            stderr=pipes[1][1],
            pass_fds=(report_w,),
            start_new_session=True,
        )
    except BaseException:
        for fd in (report_r, *(r for r, _ in pipes)):
            os.close(fd)
        raise
    finally:
        for fd in (report_w, *(w for _, w in pipes)):
            os.close(fd)
    streams = [await _reader(r, limit) for r, _ in pipes]
    app = GuardedApp(guard, 0, streams, grace)
    try:
        app.pid = await _read_report(report_r, command[0])
    except BaseException:
        app.close_streams()
        await app.stop(force=True)
        raise
    return app


def _guard_command(
    command: Sequence[str], grace: float, umask: int | None, report: int
) -> list[str]:
    args = [sys.executable, "-I", str(GUARD), "--parent", str(os.getpid())]
    args += ["--grace", str(grace), "--report", str(report)]
    if umask is not None:
        args += ["--umask", f"{umask:o}"]
    return [*args, "--", *command]


async def _reader(fd: int, limit: int) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(fd, "rb", buffering=0)
    )
    return reader, transport


async def _read_report(fd: int, program: str) -> int:
    reader, transport = await _reader(fd, 4096)
    try:
        async with asyncio.timeout(_REPORT_TIMEOUT):
            line = (await reader.readline()).decode(errors="replace").strip()
    finally:
        transport.close()
    if line.isdigit():
        return int(line)
    reason = line.removeprefix("error: ") or "the guard exited without starting it"
    raise SpawnError(f"cannot start {program!r}: {reason}")
