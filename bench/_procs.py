"""Process helpers for benchmarks: free ports, a counting no-op app, a sidecar process, and real
daprd with its scheduler through the tests' one helper per Dapr binary (``tests/realdapr``)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TypeVar

import httpx

from sidecar._runner import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.realdapr._procs import Daprd, Process, Scheduler, missing_reason, write_config  # noqa: E402

P = TypeVar("P", bound=Process)

NOOP_APP = textwrap.dedent(
    """
    import sys, time
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
    import uvicorn

    seen = []
    names = []

    async def job(request):
        await request.body()
        seen.append(time.time())
        names.append(request.path_params["name"])
        return Response(status_code=200)

    async def count(request):
        return JSONResponse({"count": len(seen), "first": min(seen, default=0),
                             "last": max(seen, default=0)})

    async def fires(request):
        return JSONResponse({"names": names, "times": seen})

    app = Starlette(routes=[Route("/job/{name}", job, methods=["POST"]),
                            Route("/count", count), Route("/fires", fires)])
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
        return self.script_app(tmp / "noop_app.py", NOOP_APP, "/count")

    def script_app(self, script: Path, source: str, ready_path: str) -> int:
        """Write ``source`` to ``script``, run it with a free port as its argument, and return the
        port once ``ready_path`` answers."""
        port = free_port()
        script.write_text(source)
        self.start([sys.executable, str(script), str(port)])
        wait_http(f"http://127.0.0.1:{port}{ready_path}")
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

    def daprd(
        self,
        tmp: Path,
        app_id: str,
        app_port: int | None,
        *,
        resources: Path | None = None,
        grpc_port: int | None = None,
    ) -> str:
        """Real daprd and a scheduler (``./dev dapr-install``), on free ports (or ``grpc_port``),
        with the components in ``resources`` (default: none); the daprd URL. Their output goes to
        ``tmp/logs``."""
        if reason := missing_reason():
            raise SystemExit(reason)
        scheduler = self.track(Scheduler(tmp / "logs", tmp / "etcd", log_level="warn"))
        scheduler.wait_ready()
        resources = resources or tmp / "daprd-resources"
        resources.mkdir(exist_ok=True)
        daprd = Daprd(
            tmp / "logs",
            app_id,
            app_port=app_port,
            resources=resources,
            config=write_config(tmp / "daprd-config.yaml", tmp / "nr.db"),
            placement=None,
            scheduler=scheduler.address,
            log_level="warn",
            grpc_port=grpc_port,
        )
        self.track(daprd).wait_ready()
        return daprd.url

    def track(self, process: P) -> P:
        """Start ``process`` (one of the tests' process helpers) and kill it on exit."""
        process.start()
        assert process.proc is not None
        self.procs.append(process.proc)
        return process

    def cpu_seconds(self) -> list[float]:
        """CPU time (user + system) of each process started, in start order (seconds)."""
        tick = os.sysconf("SC_CLK_TCK")
        out = []
        for proc in self.procs:
            try:
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
                out.append((int(fields[11]) + int(fields[12])) / tick)
            except OSError:
                out.append(0.0)
        return out

    def rss_mib(self) -> float:
        """Resident memory of every process started, together (MiB)."""
        total = 0
        for proc in self.procs:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return round(total / 1024, 1)

    def __enter__(self) -> Procs:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
