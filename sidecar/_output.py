"""App output: read each app's lines, and write them to the console and log files off the loop.

A console is a terminal or a pipe; when whoever reads it is slow or gone, a write blocks. Writes
therefore happen on one thread of their own (the same thread for every app, so lines keep their
order), and the pump of an app awaits each write: a stalled console holds up that app's output,
which reaches the app as a full pipe, as a terminal would, but never the event loop that serves
every sidecar's API and fires jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import IO

LINE_LIMIT = 1 << 20  # longer lines are forwarded in pieces of this size
_DRAIN_TIMEOUT = 2.0


class LineWriter:
    """Writes text to files on a thread of its own; ``write`` returns once it is written.

    The thread is a daemon and writes with ``os.write`` where a file descriptor exists, so a
    console that blocks for good can neither hold up the runner's exit nor a stream's lock.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="app-output", daemon=True)
        self._thread.start()

    async def write(self, text: str, *targets: IO[str] | None) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((text, targets, lambda: _resolve(loop, done)))
        await done

    def post(self, text: str, *targets: IO[str] | None) -> None:
        """Queue ``text`` behind what is queued, without waiting for it to be written."""
        self._queue.put((text, targets, _nothing))

    def close(self, timeout: float = _DRAIN_TIMEOUT) -> None:
        """The thread ends after what is queued; wait up to ``timeout`` s for that."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            text, targets, finished = item
            for target in targets:
                if target is not None:
                    _write(target, text)
            finished()


_Item = tuple[str, tuple["IO[str] | None", ...], Callable[[], None]]


def _nothing() -> None:
    return None


def _resolve(loop: asyncio.AbstractEventLoop, done: asyncio.Future[None]) -> None:
    def resolve() -> None:
        if not done.done():
            done.set_result(None)

    with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
        loop.call_soon_threadsafe(resolve)


def _write(target: IO[str], text: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # a closed console or log file
        try:
            fd = target.fileno()
        except (OSError, ValueError):  # no descriptor (a StringIO)
            target.write(text)
            target.flush()
            return
        data = text.encode(getattr(target, "encoding", None) or "utf-8", "replace")
        while data:
            data = data[os.write(fd, data) :]


def pump(
    stream: asyncio.StreamReader, emit: Callable[[str], Awaitable[None]]
) -> asyncio.Task[None]:
    """Forward every line of ``stream`` (without its line ending) to ``emit``, in order."""

    async def forward() -> None:
        while line := await _read_line(stream):
            await emit(line.decode("utf-8", "replace").rstrip("\r\n"))

    return asyncio.create_task(forward())


async def _read_line(stream: asyncio.StreamReader) -> bytes:
    try:
        return await stream.readline()
    except ValueError:  # a line longer than the limit: emit what is buffered
        return await stream.read(LINE_LIMIT)


async def drain(pumps: list[asyncio.Task[None]]) -> None:
    """Let the pumps finish; output still held by a stray process or a stalled console is cut."""
    if pumps:
        _, pending = await asyncio.wait(pumps, timeout=_DRAIN_TIMEOUT)
        for task in pending:
            task.cancel()
