"""``./dev up --runtime dapr``: the run file on real daprd, placement and scheduler.

Skipped when the binaries are not built (``./dev dapr-install``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sidecar._runner import free_port
from sidecar.real_dapr import (
    CONTROL_PLANE_PORTS,
    RealDaprError,
    binaries,
    install_dir,
    port_free,
)

try:
    binaries(install_dir())
    MISSING = ""
except RealDaprError as exc:
    MISSING = str(exc)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.daprd,
    pytest.mark.skipif(bool(MISSING), reason=MISSING),
]

APP = textwrap.dedent(
    """
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with open(sys.argv[2], "a") as f:
                f.write(f"{self.command} {self.path} {body.decode()}\\n")
            self.send_response(200)
            self.end_headers()

        def do_GET(self):
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, int, Path]:
    app_port, http_port = free_port(), free_port()
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "components").mkdir()
    received = tmp_path / "received.txt"
    (tmp_path / "dapr.yaml").write_text(
        textwrap.dedent(
            f"""
            version: 1
            common:
              resourcesPaths: [./components]
            apps:
              - appID: recorder
                appDirPath: .
                appPort: {app_port}
                daprHTTPPort: {http_port}
                command: ["{sys.executable}", "app.py", "{app_port}", "{received}"]
            """
        )
    )
    return tmp_path, http_port, received


@pytest.fixture
def runner(project: tuple[Path, int, Path]) -> Iterator[subprocess.Popen[str]]:
    root = project[0]
    log = (root / "runner.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sidecar.real_dapr", "-f", str(root)],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("DAPR_")}
        | {"DAPR_INSTALL_DIR": str(install_dir())},
    )
    try:
        _wait(lambda: "ready on real Dapr" in _text(root), 90, root, "the ready line")
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()


def _text(root: Path) -> str:
    return (root / "runner.log").read_text(errors="replace")


def _wait(check: object, timeout: float, root: Path, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout} s; runner output:\n{_text(root)[-6000:]}")


def _ports_free() -> bool:
    return all(port_free(port) for port in CONTROL_PLANE_PORTS)


def test_job_reaches_the_app_through_real_daprd_and_ctrl_c_stops_everything(
    project: tuple[Path, int, Path], runner: subprocess.Popen[str]
) -> None:
    root, http_port, received = project
    r = httpx.post(
        f"http://127.0.0.1:{http_port}/v1.0/jobs/hello", json={"dueTime": "1s", "data": {"a": 1}}
    )
    assert r.status_code == 204, r.text
    _wait(lambda: received.exists() and "POST /job/hello" in received.read_text(), 30, root, "job")
    assert received.read_text().strip() == 'POST /job/hello {"a":1}'
    runner.send_signal(signal.SIGINT)
    assert runner.wait(timeout=60) == 0
    _wait(_ports_free, 30, root, "free control-plane ports")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{http_port}/v1.0/healthz")
