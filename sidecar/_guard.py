"""The guard: keeps an app from outliving the runner that started it.

``python -I _guard.py --parent PID --grace S --report FD [--umask M] -- CMD ...``

The runner starts this small process (in a session of its own) instead of the app's command, and
the guard starts the command. A runner that is killed (even with SIGKILL) cannot stop its apps
itself, so the guard watches it:

- It asks the kernel for SIGTERM when the runner dies (Linux ``PR_SET_PDEATHSIG``; elsewhere a
  thread polls the parent pid), then checks that the runner is still its parent, so a runner killed
  while the guard was starting is noticed too.
- It becomes a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``): descendants of the app that
  detach (a daemon, a child in a new session) are re-parented to the guard, not to init, so the
  guard can still find and kill them.
- It starts the command in a process group of its own, reports the app's pid (or why it could not
  start) on file descriptor ``--report``, and waits.
- SIGTERM (from the runner, or on its death) sends SIGTERM to the app's group and SIGKILL after
  ``--grace`` seconds; SIGUSR1 kills at once.
- When the app has exited, whatever is left of its process tree is killed (the group, then every
  descendant), and the guard exits with the app's status (by the same signal if it was killed).

It is run with ``-I`` by path and imports only the standard library, so an app folder can shadow
nothing and starting it costs a bare interpreter start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_HANDLED = (signal.SIGTERM, signal.SIGUSR1, signal.SIGCHLD)
_DEFAULTS = (*_HANDLED, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE, signal.SIGXFSZ)
_PARENT_POLL = 0.5  # seconds, on a thread; only where the kernel cannot tell us (no prctl)


class Guard:
    """One app's process tree, and what has been asked of it."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.app = 0
        self.status: int | None = None  # the app's exit code (negative: killed by that signal)
        self.asked: set[int] = set()  # signals received and not yet acted on
        self.stop_at: float | None = None  # when SIGKILL follows the SIGTERM sent to the app
        self.killed = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        for sig in _HANDLED:
            signal.signal(sig, self._on_signal)

    def _on_signal(self, sig: int, frame: object) -> None:
        self.asked.add(sig)  # acted on by the loop in ``supervise``, never inside the handler

    @property
    def stopping(self) -> bool:
        return signal.SIGTERM in self.asked or self.stop_at is not None

    def start(self, command: Sequence[str]) -> None:
        self.app = os.posix_spawnp(
            command[0], list(command), os.environ, setpgroup=0, setsigmask=(), setsigdef=_DEFAULTS
        )

    def supervise(self) -> int:
        """Wait for the app to exit, acting on signals on the way; return its exit code."""
        while True:
            self._reap()
            if self.status is not None:
                return self.status
            self._act(time.monotonic())
            self._sleep()

    def _act(self, now: float) -> None:
        if signal.SIGTERM in self.asked and self.stop_at is None:
            self.stop_at = now + self.grace
            self._signal_app(signal.SIGTERM)
        if signal.SIGUSR1 in self.asked:
            self._signal_app(signal.SIGKILL)
        elif self.stop_at is not None and now >= self.stop_at and not self.killed:
            _say(f"app did not stop within {self.grace:g}s; killing it")
            self._signal_app(signal.SIGKILL)
            self.killed = True
        self.asked.clear()

    def _sleep(self) -> None:
        timeout = None  # every signal (SIGCHLD too) writes to the wakeup pipe and ends the wait
        if self.stop_at is not None and not self.killed:
            timeout = max(0.0, self.stop_at - time.monotonic())
        with contextlib.suppress(InterruptedError):
            ready, _, _ = select.select([self._wake_r], [], [], timeout)
            if ready:
                os.read(self._wake_r, 512)

    def _reap(self) -> None:
        """Collect every exited child (the app, and orphans re-parented to us)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.app:
                self.status = os.waitstatus_to_exitcode(status)

    def _signal_app(self, sig: signal.Signals) -> None:
        if self.app:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.app, sig)

    def sweep(self) -> None:
        """Kill what is left of the app's tree: its group, then every descendant of ours."""
        self._signal_app(signal.SIGKILL)
        me = os.getpid()
        for _ in range(100):  # each round kills one more generation that slipped away
            left = descendants(me)
            if not left:
                return
            killed = [(pid, parent) for pid, parent in left if _kill(pid)]
            if not killed:
                return  # what is left cannot be killed by us (another user's, setuid)
            for pid, parent in killed:
                if parent == me:
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, 0)


def descendants(root: int) -> list[tuple[int, int]]:
    """``(pid, parent pid)`` of every process below ``root`` (Linux: from ``/proc``; elsewhere
    none are known)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = entry.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    found: list[tuple[int, int]] = []
    todo = [(pid, root) for pid in children.get(root, [])]
    while todo:
        pid, parent = todo.pop()
        found.append((pid, parent))
        todo.extend((child, pid) for child in children.get(pid, []))
    return found


def _kill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True  # gone already; a zombie child of ours still needs reaping
    except PermissionError:
        return False
    return True


def _has_prctl() -> bool:
    return sys.platform.startswith("linux")


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def watch_parent(parent: int) -> None:
    """Get SIGTERM when ``parent`` dies; also when it is gone already."""
    if _has_prctl():
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    else:
        threading.Thread(target=_poll_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the kernel was watching
        os.kill(os.getpid(), signal.SIGTERM)


def _poll_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os.kill(os.getpid(), signal.SIGTERM)


def _say(text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(2, f"sidecar guard: {text}\n".encode())


def _report(fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, f"{text}\n".encode())
        os.close(fd)


def _exit_like(code: int) -> int:
    """Exit as the app did: with its code, or killed by the same signal."""
    if code < 0:
        with contextlib.suppress(OSError, ValueError):  # SIGKILL and SIGSTOP have no handler
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code  # the signal did not end us (it is ignored or stops): say which it was
    return code


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sidecar-guard")
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--grace", type=float, default=5.0)
    parser.add_argument("--report", type=int, required=True)
    parser.add_argument("--umask", type=lambda text: int(text, 8), default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    args.command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not args.command:
        parser.error("no command given")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    os.set_inheritable(args.report, False)
    if args.umask is not None:
        os.umask(args.umask)
    guard = Guard(args.grace)
    watch_parent(args.parent)
    if guard.stopping:
        _report(args.report, "error: the runner is gone")
        return 1
    try:
        guard.start(args.command)
    except OSError as exc:
        _report(args.report, f"error: {exc}")
        return 127
    _report(args.report, str(guard.app))
    code = guard.supervise()
    guard.sweep()
    return _exit_like(code)


if __name__ == "__main__":
    raise SystemExit(main())
