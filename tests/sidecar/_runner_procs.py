"""Helpers for tests of ``python -m sidecar run`` as a real process: a tiny app that records its
environment and starts two grandchildren (one in its process group, one that left it), the
runner process itself, and waits that show the runner's output when they fail."""

from __future__ import annotations

import json
import signal
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.integration._processes import SidecarProcess, free_ports

TINY_APP = textwrap.dedent(
    """
    import json, os, subprocess, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    sleep = [sys.executable, "-c", "import time; time.sleep(120)"]
    child = subprocess.Popen(sleep)  # a grandchild of the runner, in the app's process group
    escaped = subprocess.Popen(sleep, start_new_session=True)  # one that left the group
    record = {"env": dict(os.environ), "pid": os.getpid(), "cwd": os.getcwd(),
              "child": child.pid, "escaped": escaped.pid}
    with open("env.json", "w") as fh:
        json.dump(record, fh)
    print("hello from", os.environ["APP_ID"])
    print("a warning on stderr", file=sys.stderr)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.end_headers()
        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", int(os.environ["APP_PORT"])), Handler).serve_forever()
    """
)


SLEEP = "import time; time.sleep(120)"


def two_apps(ports: dict[str, int], beta: str) -> dict[str, Any]:
    """A run file: app ``alpha`` (TINY_APP in ``./alpha``, with an app port) and ``beta``
    (``python -c BETA`` in ``./beta``, no app port), on ``ports``."""
    alpha = {"appID": "alpha", "appDirPath": "./alpha", "appPort": ports["alpha_port"]}
    alpha |= {"daprHTTPPort": ports["alpha_http"], "command": [sys.executable, "app.py"]}
    beta_app = {"appID": "beta", "appDirPath": "./beta", "daprHTTPPort": ports["beta_http"]}
    beta_app["command"] = [sys.executable, "-c", beta]
    return {"version": 1, "apps": [alpha, beta_app]}


def run_file(
    tmp_path: Path, beta: str = SLEEP, edit: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, int]:
    """:func:`two_apps` as ``tmp_path/dapr.yaml`` (changed by ``edit`` first), with the apps'
    folders; the ports it names."""
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
    (tmp_path / "alpha/app.py").write_text(TINY_APP)
    alpha_port, alpha_http, beta_http = free_ports(3)
    ports = {"alpha_port": alpha_port, "alpha_http": alpha_http, "beta_http": beta_http}
    doc = two_apps(ports, beta)
    if edit is not None:
        edit(doc)
    (tmp_path / "dapr.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return ports


def runner(
    cwd: Path, *args: str, env: dict[str, str] | None = None, subcommand: str = "run"
) -> SidecarProcess:
    """``python -m sidecar run ARGS`` in ``cwd``, HOME and the runtime home inside ``cwd``."""
    base = {"SIDECAR_HOME": str(cwd / "home"), "HOME": str(cwd), "RUNNER_MARK": "inherited"}
    logs = cwd / f"{subcommand}-logs"
    return SidecarProcess(
        args,
        log=logs / "stdout.log",
        stderr_log=logs / "stderr.log",
        name=f"sidecar {subcommand}",
        cwd=cwd,
        env=base | (env or {}),
        subcommand=subcommand,
    )


async def finish(proc: SidecarProcess, sig: signal.Signals | None = None) -> int:
    """Send ``sig`` (if any) to the runner and return its exit code once it has exited."""
    if sig is not None:
        proc.send_signal(sig)
    return await proc.wait_exit()


async def wait_status(
    proc: SidecarProcess, client: httpx.AsyncClient, url: str, status: int = 204
) -> httpx.Response:
    return await proc.wait_http(client, url, status)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def all_gone(proc: SidecarProcess, *pids: int) -> None:
    async def check() -> bool:
        return not any(alive(pid) for pid in pids)

    await proc.until(check, f"processes {pids} to be gone", while_running=False)


def recorded(app_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((app_dir / "env.json").read_text())
    return data


async def wait_recorded(proc: SidecarProcess, app_dir: Path) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        try:
            return recorded(app_dir)
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    return await proc.until(check, f"the app to write {app_dir / 'env.json'}")


def start_tiny(
    app_dir: Path,
    runners: list[SidecarProcess],
    app_port: int = 0,
    env: dict[str, str] | None = None,
) -> tuple[SidecarProcess, str]:
    """The runner with TINY_APP as its one app; returns it and its sidecar's API base URL."""
    ports = free_ports(2)
    app_port, http_port = app_port or ports[0], ports[1]
    proc = runner(
        app_dir, "--app-id", "tiny", "--app-port", str(app_port),
        "--dapr-http-port", str(http_port), "--", sys.executable, "app.py", env=env,
    ).start()  # fmt: skip
    runners.append(proc)
    return proc, f"http://127.0.0.1:{http_port}/v1.0"


def start_two_apps(
    tmp_path: Path, runners: list[SidecarProcess]
) -> tuple[SidecarProcess, dict[str, int]]:
    """The runner on :func:`run_file`'s two apps (``beta`` sleeps); it and the ports."""
    ports = run_file(tmp_path)
    proc = runner(tmp_path, "-f", ".").start()
    runners.append(proc)
    return proc, ports


def app_pids(app: dict[str, Any]) -> tuple[int, int, int]:
    """The app and both its children, as recorded by TINY_APP."""
    return app["pid"], app["child"], app["escaped"]
