"""Is a TCP port free, and if not, which process holds it (Linux: ``/proc``; elsewhere unknown)."""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path

_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp
_PROC = Path("/proc")


_RECENT = 1024  # ports handed out lately, never handed out again while in this window
_given: collections.deque[int] = collections.deque(maxlen=_RECENT)
_given_lock = threading.Lock()


def free_port(host: str = "127.0.0.1", besides: Iterable[int] = ()) -> int:
    """A port that was free a moment ago, is not one of ``besides`` (ports given for other
    servers, not bound yet) and that this process has not handed out lately.

    The kernel may give the same port to two ``bind(0)`` calls in a row once the first socket is
    closed, so without the memory two ports picked for one sidecar (HTTP and gRPC) could be one.
    """
    avoid = set(besides)
    with _given_lock:
        while True:
            with socket.socket() as sock:
                sock.bind((host, 0))
                port = int(sock.getsockname()[1])
            if port not in _given and port not in avoid:
                _given.append(port)
                return port


def in_use(port: int) -> str:
    """``port N is already in use``, naming the process that holds it when that can be known."""
    holder = port_holder(port)
    return f"port {port} is already in use" + (f" by {holder}" if holder else "")


def is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now (as uvicorn would, with SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def port_holder(port: int) -> str | None:
    """``pid N (command line)`` of a process listening on ``port``, if this machine tells us."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    for pid in _pids():
        if _holds(pid, inodes):
            return f"pid {pid} ({_command_line(pid)})"
    return None


def _listening_inodes(port: int) -> set[str]:
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (_PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                    found.add(f"socket:[{inode}]")
    return found


def _pids() -> list[int]:
    with contextlib.suppress(OSError):
        return sorted(int(p.name) for p in _PROC.iterdir() if p.name.isdigit())
    return []


def _holds(pid: int, inodes: set[str]) -> bool:
    with contextlib.suppress(OSError):
        for fd in (_PROC / str(pid) / "fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return True
    return False


def _command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
        return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return "?"
