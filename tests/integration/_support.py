"""Helpers for integration tests: free ports, a recording app, sidecar processes, bounded waits."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

RECORDING_APP = textwrap.dedent(
    '''
    """A tiny app: records every request as a JSON line and answers from a status file."""
    import json, sys, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from pathlib import Path

    port, log_path, status_path = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            record = {"method": self.command, "path": self.path, "body": body,
                      "headers": {k.lower(): v for k, v in self.headers.items()},
                      "at": time.time()}
            with log_path.open("a") as fh:
                fh.write(json.dumps(record) + "\\n")
            status = int(status_path.read_text()) if status_path.exists() else 200
            if self.path.startswith("/dapr/"):
                status = 404
            payload = json.dumps({"echo": self.path}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("x-app", "recorder")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle
        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    '''
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 15.0) -> T:
    """Poll ``check`` until it returns a truthy value, failing after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.05)


class RecordingApp:
    """A real app process whose received requests a test can read back."""

    def __init__(self, tmp: Path, name: str = "app") -> None:
        self.port = free_port()
        self.script = tmp / f"{name}_recorder.py"
        self.log = tmp / f"{name}_requests.jsonl"
        self.status_file = tmp / f"{name}_status"
        self.script.write_text(RECORDING_APP)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RecordingApp:
        args = [
            sys.executable,
            str(self.script),
            str(self.port),
            str(self.log),
            str(self.status_file),
        ]
        self.proc = subprocess.Popen(args)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def answer(self, status: int) -> None:
        self.status_file.write_text(str(status))

    def requests(self, path_prefix: str = "") -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["path"].startswith(path_prefix)]


class SidecarProcess:
    """``python -m sidecar run`` as a real process (sidecar only; the app runs separately)."""

    def __init__(self, home: Path, app_id: str, app_port: int | None, *extra: str) -> None:
        self.home = home
        self.app_id = app_id
        self.app_port = app_port
        self.http_port = free_port()
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.http_port}"

    def start(self) -> SidecarProcess:
        args = [
            sys.executable,
            "-m",
            "sidecar",
            "run",
            "--app-id",
            self.app_id,
            "--dapr-http-port",
            str(self.http_port),
            "--home",
            str(self.home),
            *self.extra,
        ]
        if self.app_port:
            args += ["--app-port", str(self.app_port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAPR_")}
        self.proc = subprocess.Popen(args, env=env, start_new_session=True)
        return self

    async def wait_healthy(self, client: httpx.AsyncClient, path: str = "/v1.0/healthz") -> None:
        async def ok() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "sidecar exited"
            try:
                return (await client.get(self.url + path)).status_code == 204
            except httpx.HTTPError:
                return False

        await eventually(ok, timeout=30)

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
