"""The sidecar's HTTP server: uvicorn on a socket we bind, with bounds on slow clients.

- Signal handlers stay with the CLI entry point (``QuietServer``).
- A client gets ``HEADER_TIMEOUT`` seconds to send a request's headers, on a new connection and
  before each further request on a kept-alive one; then the connection is closed. Without it a
  client that opens a connection and sends nothing holds a file descriptor for ever, and enough of
  them exhaust the process's descriptors (a documented bound; Go servers set ReadHeaderTimeout).
- At most ``MAX_CONNECTIONS`` connections and requests at once; past that uvicorn answers 503.
- The soft limit on open files is raised to the hard limit, as the Go runtime does at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT = 10.0
MAX_CONNECTIONS = 8192
# Idle keep-alive: longer than the clients' (apps' and the app channel's pools: 5 s; httpx: 5 s),
# so a client never writes a request into a connection the server is closing (uvicorn's default
# of 5 s equals theirs and races them). daprd's Go server keeps idle connections open longer.
KEEPALIVE_SECONDS = 75


class QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: only the CLI entry point handles signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """httptools' protocol that closes connections whose request headers do not arrive in time."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def raise_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def listen(host: str, port: int) -> socket.socket:
    """A non-blocking listening socket with TCP_NODELAY (inherited by accepted sockets)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def server(app: Any, *, graceful_seconds: float) -> QuietServer:
    return QuietServer(
        uvicorn.Config(
            app,
            http=HeaderTimeoutProtocol,
            log_level="warning",
            lifespan="off",
            access_log=False,
            server_header=False,  # daprd sends none of its own (an app's passes through)
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=int(graceful_seconds),
            timeout_keep_alive=KEEPALIVE_SECONDS,
        )
    )
