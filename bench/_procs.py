"""Process helpers for benchmarks: free ports, a counting no-op app, a sidecar process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

from sidecar._runner import free_port

NOOP_APP = textwrap.dedent(
    """
    import sys, time
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
    import uvicorn

    seen = []

    async def job(request):
        await request.body()
        seen.append(time.time())
        return Response(status_code=200)

    async def count(request):
        return JSONResponse({"count": len(seen), "first": min(seen, default=0),
                             "last": max(seen, default=0)})

    app = Starlette(routes=[Route("/job/{name}", job, methods=["POST"]),
                            Route("/count", count)])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
    """
)


def wait_http(url: str, timeout: float = 30.0, status: int | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url, timeout=1)
            if status is None or r.status_code == status:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(url)


class Procs:
    """Starts processes in their own groups and kills them all on exit."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], **kw: object) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(args, start_new_session=True, **kw)  # type: ignore[call-overload]
        self.procs.append(proc)
        return proc

    def noop_app(self, tmp: Path) -> int:
        port = free_port()
        script = tmp / "noop_app.py"
        script.write_text(NOOP_APP)
        self.start([sys.executable, str(script), str(port)])
        wait_http(f"http://127.0.0.1:{port}/count")
        return port

    def sidecar(self, home: Path, app_id: str, app_port: int | None, *extra: str) -> str:
        port = free_port()
        args = [
            sys.executable,
            "-m",
            "sidecar",
            "run",
            "--app-id",
            app_id,
            "--dapr-http-port",
            str(port),
            "--home",
            str(home),
            "--log-level",
            "warning",
            *extra,
        ]
        if app_port:
            args += ["--app-port", str(app_port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAPR_")}
        self.start(args, env=env)
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/v1.0/healthz", status=204)
        return url

    def __enter__(self) -> Procs:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
