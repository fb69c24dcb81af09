"""The runner and CLI: pure helpers, then ``python -m sidecar run`` as a real process."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sidecar._channels import channel_for
from sidecar._grpc_channel import GrpcAppChannel
from sidecar._http_channel import HttpAppChannel
from sidecar._runfile import AppConfig, SharedConfig
from sidecar._runner import app_env, app_protocol, sidecar_config
from sidecar.real_dapr import daprd_args
from tests.integration._processes import SidecarProcess
from tests.integration._support import free_port

from ._runner_procs import (
    all_gone,
    app_pids,
    finish,
    run_file,
    runner,
    start_tiny,
    wait_recorded,
    wait_status,
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
    assert (config.app_port, config.grpc_port) == (None, 7)
    assert config.http_port > 0 and config.http_port != 7  # a free port, as the Dapr CLI picks
    assert (config.api_token, config.app_token) == ("secret", None)
    assert (config.max_body_size, config.app_health_probe_timeout) == (1024, 0.25)
    assert config.dev_clock and config.app_host == "127.0.0.1"


def test_unset_ports_are_free_ones_and_never_one_given_for_another_server(tmp_path: Path) -> None:
    """The gRPC port picked beside a fixed HTTP port (not bound yet) is never that port, nor the
    one picked for HTTP."""
    picked = [
        sidecar_config(AppConfig("svc", tmp_path, dapr_http_port=port), home=tmp_path,
                       dev_clock=False, env={})
        for port in [free_port() for _ in range(200)] + [-1] * 200
    ]  # fmt: skip
    assert all(c.http_port > 0 and c.grpc_port not in (0, c.http_port) for c in picked)


def test_app_protocol_chooses_the_app_channel(tmp_path: Path) -> None:
    grpc_app = AppConfig("svc", tmp_path, SharedConfig(app_protocol="gRPC"), app_port=3000)
    config = sidecar_config(grpc_app, home=tmp_path, dev_clock=False, env={})
    channel = channel_for(config, httpx.AsyncClient())
    assert (config.app_protocol, type(channel)) == ("grpc", GrpcAppChannel)
    plain = sidecar_config(
        AppConfig("svc", tmp_path, app_port=1), home=tmp_path, dev_clock=False, env={}
    )
    assert type(channel_for(plain, httpx.AsyncClient())) is HttpAppChannel


# real processes ----------------------------------------------------------------------------------


@pytest.mark.integration
async def test_single_app_env_output_logs_metadata_and_sigterm(
    app_dir: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    app_port = free_port()
    proc, base = start_tiny(app_dir, runners, app_port)
    await wait_status(proc, http, f"{base}/healthz")
    app = await wait_recorded(proc, app_dir)
    env = app["env"]
    assert (env["APP_ID"], env["APP_PORT"]) == ("tiny", str(app_port))
    assert base == f"http://127.0.0.1:{env['DAPR_HTTP_PORT']}/v1.0"
    assert env["APP_CHANNEL_ADDRESS"] == "127.0.0.1" and env["APP_PROTOCOL"] == "http"
    assert int(env["DAPR_GRPC_PORT"]) > 0 and int(env["DAPR_METRICS_PORT"]) > 0
    assert (env["PYTHONUNBUFFERED"], env["RUNNER_MARK"]) == ("1", "inherited")
    assert Path(app["cwd"]) == app_dir
    extended = (await http.get(f"{base}/metadata")).json()["extended"]
    assert extended["appPID"] == str(app["pid"]) and extended["cliPID"] == str(proc.pid)
    assert extended["appCommand"] == f"{sys.executable} app.py"

    assert await finish(proc, signal.SIGTERM) == 0, proc.describe()
    await all_gone(proc, *app_pids(app))
    lines = proc.stdout().splitlines()  # one app: its output as it wrote it, as `dapr run`
    assert "hello from tiny" in lines and "a warning on stderr" in lines, proc.describe()
    assert not any("== APP" in line for line in lines)
    app_log = next((app_dir / ".dapr/logs").glob("tiny_app_*.log")).read_text()
    assert "hello from tiny" in app_log.splitlines()
    daprd_log = next((app_dir / ".dapr/logs").glob("tiny_daprd_*.log")).read_text()
    assert "sidecar tiny started" in daprd_log


@pytest.mark.integration
async def test_shutdown_api_stops_the_app_and_its_sidecar(
    app_dir: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, base = start_tiny(app_dir, runners)
    await wait_status(proc, http, f"{base}/healthz")
    app = await wait_recorded(proc, app_dir)
    response = await http.post(f"{base}/shutdown")
    assert response.status_code == 204
    assert await finish(proc) == 0, proc.describe()
    await all_gone(proc, *app_pids(app))
    assert "shutdown requested" in proc.stderr()


def common_env_and_an_unnamed_beta(doc: dict[str, Any]) -> None:
    doc["common"] = {"env": {"FROM_COMMON": "c", "OVERRIDDEN": "common"}}
    doc["apps"][0]["env"] = {"OVERRIDDEN": "alpha"}
    del doc["apps"][1]["appID"]  # its id comes from its folder


@pytest.mark.integration
async def test_run_file_with_two_apps(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    bye = "print('beta says bye'); raise SystemExit(3)"
    ports = run_file(tmp_path, bye, common_env_and_an_unnamed_beta)
    proc = runner(tmp_path, "-f", ".").start()
    runners.append(proc)
    alpha_url = f"http://127.0.0.1:{ports['alpha_http']}/v1.0"
    await wait_status(proc, http, f"{alpha_url}/healthz")
    env = (await wait_recorded(proc, tmp_path / "alpha"))["env"]
    assert (env["APP_ID"], env["FROM_COMMON"], env["OVERRIDDEN"]) == ("alpha", "c", "alpha")
    extended = (await http.get(f"{alpha_url}/metadata")).json()["extended"]
    assert extended["runTemplatePath"] == str(tmp_path / "dapr.yaml")

    async def beta_gone() -> bool:  # beta exits on its own; its sidecar goes with it
        try:
            await http.get(f"http://127.0.0.1:{ports['beta_http']}/v1.0/healthz/outbound")
        except httpx.ConnectError:
            return True
        except httpx.TransportError:  # accepted, then dropped: on its way down
            return False
        return False

    await proc.until(beta_gone, "beta's sidecar to stop")
    await wait_status(proc, http, f"{alpha_url}/healthz")  # alpha keeps running
    assert await finish(proc, signal.SIGINT) == 1, proc.describe()  # beta failed
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


@pytest.mark.integration
async def test_an_unsupported_app_protocol_is_a_start_up_error(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    proc = runner(tmp_path, "--app-id", "x", "--app-protocol", "https").start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    message = "app x: appProtocol 'https' is not supported (supported: http, grpc)"
    assert f"sidecar: error: {message}" in proc.stderr()


def test_real_dapr_passes_the_app_protocol_to_daprd(tmp_path: Path) -> None:
    app = AppConfig("svc", tmp_path, SharedConfig(app_protocol="GRPC"), app_port=3000)
    args = daprd_args(app, Path("daprd"), tmp_path, 3500, 50001)
    assert args[args.index("--app-protocol") + 1] == "grpc"
    assert "--app-protocol" not in daprd_args(AppConfig("svc", tmp_path), Path("d"), tmp_path, 1, 2)
