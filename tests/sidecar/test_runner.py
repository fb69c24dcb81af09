"""The runner and CLI: pure helpers, then ``python -m sidecar run`` as a real process."""

from __future__ import annotations

import json
import signal
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sidecar._runfile import AppConfig, SharedConfig
from sidecar._runner import app_env, app_protocol, sidecar_config
from tests.integration._processes import SidecarProcess
from tests.integration._support import free_port

TINY_APP = textwrap.dedent(
    """
    import json, os, subprocess, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    record = {"env": dict(os.environ), "pid": os.getpid(), "child": child.pid, "cwd": os.getcwd()}
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


# pure helpers ------------------------------------------------------------------------------------


def test_app_env_adds_dapr_variables_then_template_env(tmp_path: Path) -> None:
    app = AppConfig(
        "svc", tmp_path, SharedConfig(env={"EXTRA": "1", "DAPR_GRPC_PORT": "9"}), app_port=3000
    )
    config = sidecar_config(app, home=tmp_path, dev_clock=False, env={})
    env = app_env(app, config, http_port=3500, metrics_port=9090, base={"PATH": "/bin"})
    assert env == {
        "PATH": "/bin", "PYTHONUNBUFFERED": "1", "APP_ID": "svc", "APP_CHANNEL_ADDRESS": "",
        "APP_PORT": "3000", "DAPR_HTTP_PORT": "3500", "DAPR_GRPC_PORT": "9",
        "DAPR_METRICS_PORT": "9090", "APP_PROTOCOL": "http", "EXTRA": "1",
    }  # fmt: skip


def test_app_env_omits_unset_app_port(tmp_path: Path) -> None:
    app = AppConfig("svc", tmp_path)
    config = sidecar_config(app, home=tmp_path, dev_clock=False, env={})
    assert "APP_PORT" not in app_env(app, config, http_port=1, metrics_port=2, base={})


@pytest.mark.parametrize(
    ("protocol", "ssl", "expected"),
    [("", False, "http"), ("HTTP", True, "https"), ("grpc", True, "grpcs"), ("h2c", False, "h2c"),
     ("carrier-pigeon", False, "")],
)  # fmt: skip
def test_app_protocol(protocol: str, ssl: bool, expected: str) -> None:
    assert app_protocol(SharedConfig(app_protocol=protocol, app_ssl=ssl)) == expected


def test_sidecar_config_from_app(tmp_path: Path) -> None:
    shared = SharedConfig(max_body_size=1024, app_health_probe_timeout=250)
    app = AppConfig("svc", tmp_path, shared, app_port=-1, dapr_http_port=-1, dapr_grpc_port=7)
    env = {"DAPR_API_TOKEN": "secret", "APP_API_TOKEN": ""}
    config = sidecar_config(app, home=tmp_path, dev_clock=True, env=env)
    assert (config.app_port, config.http_port, config.grpc_port) == (None, 0, 7)
    assert (config.api_token, config.app_token) == ("secret", None)
    assert (config.max_body_size, config.app_health_probe_timeout) == (1024, 0.25)
    assert config.dev_clock and config.app_host == "127.0.0.1"


# real processes ----------------------------------------------------------------------------------


def runner(cwd: Path, *args: str, env: dict[str, str] | None = None) -> SidecarProcess:
    """``python -m sidecar run ARGS`` in ``cwd``, HOME and the runtime home inside ``cwd``."""
    base = {"SIDECAR_HOME": str(cwd / "home"), "HOME": str(cwd), "RUNNER_MARK": "inherited"}
    logs = cwd / "runner-logs"
    return SidecarProcess(
        args,
        log=logs / "stdout.log",
        stderr_log=logs / "stderr.log",
        name="runner",
        cwd=cwd,
        env=base | (env or {}),
    )


@pytest.fixture
def runners() -> Iterator[list[SidecarProcess]]:
    started: list[SidecarProcess] = []
    yield started
    for proc in started:
        proc.kill9()


async def finish(proc: SidecarProcess, sig: signal.Signals | None = None) -> int:
    """Send ``sig`` (if any) to the runner and return its exit code once it has exited."""
    if sig is not None:
        proc.send_signal(sig)
    return await proc.wait_exit()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


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


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(TINY_APP)
    return tmp_path


def start_tiny(
    app_dir: Path, runners: list[SidecarProcess], app_port: int = 0
) -> tuple[SidecarProcess, str]:
    """The runner with TINY_APP as its one app; returns it and its sidecar's API base URL."""
    app_port, http_port = app_port or free_port(), free_port()
    proc = runner(
        app_dir, "--app-id", "tiny", "--app-port", str(app_port),
        "--dapr-http-port", str(http_port), "--", sys.executable, "app.py",
    ).start()  # fmt: skip
    runners.append(proc)
    return proc, f"http://127.0.0.1:{http_port}/v1.0"


@pytest.mark.integration
async def test_single_app_env_output_logs_metadata_and_sigterm(
    app_dir: Path, client: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    app_port = free_port()
    proc, base = start_tiny(app_dir, runners, app_port)
    await wait_status(proc, client, f"{base}/healthz")
    app = await wait_recorded(proc, app_dir)
    env = app["env"]
    assert (env["APP_ID"], env["APP_PORT"]) == ("tiny", str(app_port))
    assert base == f"http://127.0.0.1:{env['DAPR_HTTP_PORT']}/v1.0"
    assert env["APP_CHANNEL_ADDRESS"] == "127.0.0.1" and env["APP_PROTOCOL"] == "http"
    assert int(env["DAPR_GRPC_PORT"]) > 0 and int(env["DAPR_METRICS_PORT"]) > 0
    assert (env["PYTHONUNBUFFERED"], env["RUNNER_MARK"]) == ("1", "inherited")
    assert Path(app["cwd"]) == app_dir
    extended = (await client.get(f"{base}/metadata")).json()["extended"]
    assert extended["appPID"] == str(app["pid"]) and extended["cliPID"] == str(proc.pid)
    assert extended["appCommand"] == f"{sys.executable} app.py"

    assert await finish(proc, signal.SIGTERM) == 0, proc.describe()
    await all_gone(proc, app["pid"], app["child"])
    assert "== APP - tiny == hello from tiny" in proc.stdout()
    assert "== APP - tiny == a warning on stderr" in proc.stdout()
    app_log = next((app_dir / ".dapr/logs").glob("tiny_app_*.log")).read_text()
    assert "== APP - tiny == hello from tiny" in app_log
    daprd_log = next((app_dir / ".dapr/logs").glob("tiny_daprd_*.log")).read_text()
    assert "sidecar tiny started" in daprd_log


@pytest.mark.integration
async def test_shutdown_api_stops_the_app_and_its_sidecar(
    app_dir: Path, client: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, base = start_tiny(app_dir, runners)
    await wait_status(proc, client, f"{base}/healthz")
    app = await wait_recorded(proc, app_dir)
    response = await client.post(f"{base}/shutdown")
    assert response.status_code == 204
    assert await finish(proc) == 0, proc.describe()
    await all_gone(proc, app["pid"], app["child"])
    assert "shutdown requested" in proc.stderr()


RUN_FILE = """
version: 1
common:
  env: {{FROM_COMMON: c, OVERRIDDEN: common}}
apps:
  - appID: alpha
    appDirPath: ./alpha
    appPort: {alpha_port}
    daprHTTPPort: {alpha_http}
    command: ["{python}", "app.py"]
    env: {{OVERRIDDEN: alpha}}
  - appDirPath: ./beta
    daprHTTPPort: {beta_http}
    command: ["{python}", "-c", "print('beta says bye'); raise SystemExit(3)"]
"""


@pytest.mark.integration
async def test_run_file_with_two_apps(
    tmp_path: Path, client: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
    (tmp_path / "alpha/app.py").write_text(TINY_APP)
    ports = {"alpha_port": free_port(), "alpha_http": free_port(), "beta_http": free_port()}
    (tmp_path / "dapr.yaml").write_text(RUN_FILE.format(python=sys.executable, **ports))
    proc = runner(tmp_path, "-f", ".").start()
    runners.append(proc)
    alpha_url = f"http://127.0.0.1:{ports['alpha_http']}/v1.0"
    await wait_status(proc, client, f"{alpha_url}/healthz")
    env = (await wait_recorded(proc, tmp_path / "alpha"))["env"]
    assert (env["APP_ID"], env["FROM_COMMON"], env["OVERRIDDEN"]) == ("alpha", "c", "alpha")
    extended = (await client.get(f"{alpha_url}/metadata")).json()["extended"]
    assert extended["runTemplatePath"] == str(tmp_path / "dapr.yaml")

    async def beta_gone() -> bool:  # beta exits on its own; its sidecar goes with it
        try:
            await client.get(f"http://127.0.0.1:{ports['beta_http']}/v1.0/healthz/outbound")
        except httpx.ConnectError:
            return True
        return False

    await proc.until(beta_gone, "beta's sidecar to stop")
    await wait_status(proc, client, f"{alpha_url}/healthz")  # alpha keeps running
    assert await finish(proc, signal.SIGINT) == 130, proc.describe()
    assert "== APP - alpha == hello from alpha" in proc.stdout()
    assert "== APP - beta == beta says bye" in proc.stdout()
    assert "app beta exited with code 3" in proc.stderr()
    for name in ("alpha", "beta"):
        assert list((tmp_path / name / ".dapr/logs").glob(f"{name}_app_*.log"))


@pytest.mark.integration
async def test_unknown_component_type_is_a_start_up_error(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    (tmp_path / "res").mkdir()
    bad = tmp_path / "res" / "cron.yaml"
    bad.write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: tick}\n"
        "spec: {type: bindings.cron, version: v1, metadata: []}\n"
    )
    proc = runner(tmp_path, "--app-id", "x", "--resources-path", "res").start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    (line,) = [ln for ln in proc.stderr().splitlines() if ln.startswith("sidecar: error:")]
    assert str(bad) in line and "bindings.cron" in line


@pytest.mark.integration
async def test_bad_run_file_is_a_start_up_error(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    (tmp_path / "dapr.yaml").write_text("apps: []\n")
    proc = runner(tmp_path, "-f", str(tmp_path)).start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    assert "dapr.yaml: version: required field 'version'" in proc.stderr()
