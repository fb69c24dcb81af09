"""Helpers for integration tests: free ports, a recording app, sidecar and app processes,
bounded waits, and :class:`System` (the product on the selected runtime, one process per part)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from sidecar._runner import free_port

from ._components import write_statestore
from ._daprd import DaprdSidecar
from ._processes import REPO_ROOT, WAIT, AppProcess, Process, SidecarProcess, eventually

__all__ = [
    "AppProcess",
    "Process",
    "SidecarProcess",
    "eventually",
    "free_port",
    "REPO_ROOT",
    "write_statestore",
]
T = TypeVar("T")
Sidecar = SidecarProcess | DaprdSidecar
REAL_TIME_LIMIT = 60.0  # the longest wait ``System.advance`` turns into on real time


class Runtime:
    """The runtime the integration tests target: ``local`` (``sidecar run``) or ``dapr`` (real
    daprd, placement and scheduler); set from ``--runtime`` by ``tests/conftest.py``."""

    name = "local"


def on_dapr() -> bool:
    return Runtime.name == "dapr"


def sidecar_for_app(
    home: Path,
    app_id: str,
    app_port: int | None,
    *,
    resources: Path | None = None,
    dev_clock: bool = False,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    app_protocol: str = "http",
    args: Sequence[str] = (),
) -> Sidecar:
    """The sidecar of one app on the selected runtime: ``sidecar run`` (with the dev clock when
    asked, its metrics on a free port, and ``args``) or a real daprd, with the components in
    ``resources``, ``env`` (e.g. its token) and the app's protocol (``http`` or ``grpc``)."""
    if on_dapr():
        return DaprdSidecar.for_app(
            home, app_id, app_port, resources=resources, log=log, env=env, app_protocol=app_protocol
        )
    metrics = free_port()
    extra = ["--resources-path", str(resources)] if resources else []
    extra += ["--app-protocol", app_protocol] if app_protocol != "http" else []
    extra += ["--dev-clock"] if dev_clock else []
    extra += ["--metrics-port", str(metrics), *args]
    sidecar = SidecarProcess.for_app(home, app_id, app_port, *extra, log=log, env=env)
    sidecar.metrics_url = f"http://127.0.0.1:{metrics}/metrics"
    return sidecar


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


class RecordingApp(Process):
    """A real app process whose received requests a test can read back."""

    def __init__(self, tmp: Path, name: str = "app") -> None:
        self.port = free_port()
        self.script = tmp / f"{name}_recorder.py"
        self.requests_log = tmp / f"{name}_requests.jsonl"
        self.status_file = tmp / f"{name}_status"
        self.script.write_text(RECORDING_APP)
        args = [sys.executable, str(self.script), str(self.port)]
        args += [str(self.requests_log), str(self.status_file)]
        super().__init__(f"{name} recorder", args, log=tmp / f"{name}_recorder.log")

    def start(self) -> RecordingApp:
        super().start()
        return self

    def answer(self, status: int) -> None:
        self.status_file.write_text(str(status))

    def requests(self, path_prefix: str = "") -> list[dict[str, Any]]:
        if not self.requests_log.exists():
            return []
        lines = self.requests_log.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["path"].startswith(path_prefix)]


AGENT_ID = "pm-agent"
NOTIFIER_ID = "notifier"
ACTOR_TYPE = "ProjectManagementAgent"
JOBS_API = "v1.0-alpha1"
BARRIER_AGENT = "barrier"


class System:
    """The product on the selected runtime: the agent and the notifier, each a process of its
    own, and their two sidecars (``python -m sidecar run``, or real daprd under ``--runtime
    dapr``), each a process of its own too.

    Everything lives under ``root``: the runtime home, the resources folder with the SQLite
    ``statestore`` component, the state database, and one log file per process. Only the
    pm-agent sidecar fires jobs, so only its dev clock matters (:meth:`advance`).
    """

    def __init__(
        self,
        root: Path,
        agent_env: dict[str, str] | None = None,
        app_tokens: dict[str, str] | None = None,
        app_env: dict[str, str] | None = None,
        sidecar_args: Sequence[str] = (),
        notifier_env: dict[str, str] | None = None,
    ) -> None:
        """``app_tokens``: app id -> APP_API_TOKEN, given to that app and to its sidecar;
        ``app_env`` goes to both apps, ``sidecar_args`` to both ``sidecar run``."""
        tokens = {app: {"APP_API_TOKEN": t} for app, t in (app_tokens or {}).items()}
        self.root = root
        self.home = root / "home"
        self.resources = root / "resources"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.sidecar_args = list(sidecar_args)
        write_statestore(self.resources, root / "state" / "state.db")
        agent_port, notifier_port = free_port(), free_port()
        self.agent_sidecar = self._sidecar(AGENT_ID, agent_port, tokens.get(AGENT_ID))
        self.notifier_sidecar = self._sidecar(NOTIFIER_ID, notifier_port, tokens.get(NOTIFIER_ID))
        self.agent = AppProcess(
            "agent",
            agent_port,
            {
                "DAPR_HTTP_PORT": str(self.agent_sidecar.http_port),
                "DAPR_JOBS_API_VERSION": JOBS_API,
                "PM_NOTIFIER_APP_ID": NOTIFIER_ID,
                "PM_JOB_RETRY_INTERVAL": "1s",
                "PM_JOB_MAX_RETRIES": "120",
                "PM_HTTP_TIMEOUT": "10",
                **tokens.get(AGENT_ID, {}),
                **(app_env or {}),
                **(agent_env or {}),
            },
            self.logs / "agent.log",
        )
        self.notifier = AppProcess(
            "notifier",
            notifier_port,
            {
                "DAPR_HTTP_PORT": str(self.notifier_sidecar.http_port),
                **tokens.get(NOTIFIER_ID, {}),
                **(app_env or {}),
                **(notifier_env or {}),
            },
            self.logs / "notifier.log",
        )
        self.client = httpx.AsyncClient(timeout=15)
        self._barriers = 0

    def _sidecar(self, app_id: str, app_port: int, env: dict[str, str] | None) -> Sidecar:
        log = self.logs / f"{app_id}-sidecar.log"
        return sidecar_for_app(
            self.home,
            app_id,
            app_port,
            resources=self.resources,
            dev_clock=True,
            log=log,
            env=env,
            args=self.sidecar_args,
        )

    @property
    def virtual_time(self) -> bool:
        """True on the local runtime, whose dev clock :meth:`advance` jumps; on daprd time is
        real and :meth:`advance` waits (at most ``REAL_TIME_LIMIT`` seconds)."""
        return not on_dapr()

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> System:
        self.agent_sidecar.start()
        self.notifier_sidecar.start()
        self.agent.start()
        self.notifier.start()
        await self.wait_ready()
        return self

    async def wait_ready(self) -> None:
        """Both apps answer, both sidecars report ready (their apps are reachable)."""
        await self.agent.wait_healthy(self.client)
        await self.notifier.wait_healthy(self.client)
        await self.agent_sidecar.wait_healthy(self.client)
        await self.notifier_sidecar.wait_healthy(self.client)

    def stop(self) -> None:
        """Stop every process (apps first); safe to call more than once, and after kills."""
        for proc in (self.agent, self.notifier, self.agent_sidecar, self.notifier_sidecar):
            with contextlib.suppress(Exception):
                proc.stop()

    async def aclose(self) -> None:
        self.stop()
        await self.client.aclose()

    def diagnostics(self) -> str:
        """The tail of every log, for assertion messages."""
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace")
            problems = [ln for ln in text.splitlines() if "WARNING" in ln or "ERROR" in ln]
            parts.append(f"--- {log.name}: warnings and errors ---")
            parts.extend(problems[-30:])
            parts.append(f"--- {log.name}: tail ---\n{text[-1500:]}")
        return "\n".join(parts)

    # -- the pm-agent sidecar's dev clock -------------------------------------------------------

    async def now(self) -> datetime:
        """Virtual now of the pm-agent sidecar (wall clock plus every advance since it started);
        the wall clock on daprd."""
        if not self.virtual_time:
            return datetime.now(UTC)
        r = await self.client.get(f"{self.agent_sidecar.url}/_sidecar/v1/clock")
        assert r.status_code == 200, r.text
        return datetime.fromisoformat(r.json()["now"])

    async def advance(self, *, seconds: float | None = None, duration: str | None = None) -> None:
        body: dict[str, Any] = {"seconds": seconds} if duration is None else {"duration": duration}
        if not self.virtual_time:
            await self._wait_real_time(seconds)
            return
        r = await self.client.post(f"{self.agent_sidecar.url}/_sidecar/v1/clock/advance", json=body)
        assert r.status_code == 200, r.text

    async def _wait_real_time(self, seconds: float | None) -> None:
        """On daprd, let ``seconds`` of real time pass: the due time is what the test is about."""
        if seconds is None or seconds > REAL_TIME_LIMIT:
            raise AssertionError(
                f"advancing {seconds} s needs the local runtime's dev clock: mark the test "
                "local_only, or give it due times a few seconds ahead"
            )
        await asyncio.sleep(seconds)

    async def advance_to(self, instant: datetime) -> None:
        """Move virtual time to ``instant`` (no-op when it has passed already)."""
        gap = (instant - await self.now()).total_seconds()
        if gap > 0:
            await self.advance(seconds=gap)

    async def until(
        self, check: Callable[[], Awaitable[T | None]], what: str, timeout: float = WAIT
    ) -> T:
        """:func:`eventually`, failing with ``what`` and the tails of every process log."""
        try:
            return await eventually(check, timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}\n{self.diagnostics()}") from None

    # -- a barrier ------------------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until a fire that is due *now* has gone all the way to the notifier.

        Assigns a sentinel task (agent ``BARRIER_AGENT``) whose lead time exceeds its due date,
        so its reminder job is due at once, and waits for that notification to be stored. Jobs
        that became due before (e.g. by an earlier :meth:`advance`) were claimed by the
        scheduler before the sentinel's job existed, so once it is through, a test can assert
        that something did *not* fire without sleeping.
        """
        self._barriers += 1
        task_id = f"b{self._barriers}"
        due = await self.now() + timedelta(days=300)
        body = {"id": task_id, "title": "barrier", "assignee": "nobody", "due_at": due.isoformat()}
        body["remind_before"] = "8784h"  # 366 days, more than the due distance: remind at once
        r = await self.client.post(f"{self.agent.url}/agents/{BARRIER_AGENT}/tasks", json=body)
        assert r.status_code == 201, r.text

        async def through() -> bool:
            return bool(await self.stored_notifications(BARRIER_AGENT, task_id))

        await self.until(through, f"barrier task {task_id}'s reminder")

    # -- reading the product's state ------------------------------------------------------------

    async def stored_notifications(self, agent_id: str, task_id: str) -> list[dict[str, Any]]:
        """What the notifier stored (``GET /notifications?agent_id=&task_id=``)."""
        params = {"agent_id": agent_id, "task_id": task_id}
        r = await self.client.get(f"{self.notifier.url}/notifications", params=params)
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()["notifications"]
        return found

    async def sent_notifications(self, agent_id: str, task_id: str) -> list[dict[str, Any]]:
        """What the agent recorded as sent (``GET /agents/{id}/notifications?task_id=``)."""
        url = f"{self.agent.url}/agents/{agent_id}/notifications"
        r = await self.client.get(url, params={"task_id": task_id})
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()["notifications"]
        return found

    async def job_status(self, name: str) -> int:
        """Status of ``GET {pm-agent sidecar}/v1.0-alpha1/jobs/{name}`` (500 once it is gone)."""
        r = await self.client.get(f"{self.agent_sidecar.url}/{JOBS_API}/jobs/{name}")
        return r.status_code


@contextlib.asynccontextmanager
async def running_system(
    root: Path,
    agent_env: dict[str, str] | None = None,
    app_tokens: dict[str, str] | None = None,
    notifier_env: dict[str, str] | None = None,
    **options: Any,
) -> AsyncIterator[System]:
    """A started :class:`System` (``options``: its ``app_env``, ``sidecar_args``); every process
    is stopped on the way out, even on failure."""
    system = System(root, agent_env, app_tokens, notifier_env=notifier_env, **options)
    try:
        await system.start()
        yield system
    finally:
        await system.aclose()
