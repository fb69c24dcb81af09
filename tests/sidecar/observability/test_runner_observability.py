"""``sidecar run`` as a real process: JSON log lines, and the metrics port it serves and tells
the app (``DAPR_METRICS_PORT``), or none with ``--enable-metrics=false``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration._processes import SidecarProcess, free_ports

from .._runner_procs import TINY_APP, runner

pytestmark = pytest.mark.integration


def single_app(tmp_path: Path, *extra: str) -> tuple[SidecarProcess, int, int]:
    (tmp_path / "app.py").write_text(TINY_APP)
    app_port, http_port, metrics_port = free_ports(3)
    args = ["--app-id", "solo", "--app-port", str(app_port), "--dapr-http-port", str(http_port)]
    args += ["--metrics-port", str(metrics_port), *extra, "--", sys.executable, "app.py"]
    return runner(tmp_path, *args), http_port, metrics_port


async def test_log_as_json_writes_one_daprd_shaped_object_a_line(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, _, _ = single_app(tmp_path, "--log-as-json")
    runners.append(proc.start())

    async def started() -> list[dict[str, object]]:
        lines = [json.loads(line) for line in proc.stderr().splitlines() if line.startswith("{")]
        return [line for line in lines if "ready: " in str(line["msg"])]

    (ready,) = await proc.until(started, "a JSON ready line")
    assert ready["level"] == "info" and ready["type"] == "log"
    assert set(ready) >= {"time", "level", "msg", "scope", "type", "ver"}
    assert str(ready["time"]).endswith("Z")
    prose = [line for line in proc.stderr().splitlines() if line and not line.startswith("{")]
    assert prose == [], prose
    sidecar_log = next((tmp_path / ".dapr" / "logs").glob("solo_daprd_*.log")).read_text()
    first = json.loads(sidecar_log.splitlines()[0])
    assert first["app_id"] == "solo", first


async def test_the_metrics_port_serves_prometheus_text_and_the_app_is_told_it(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, http_port, metrics_port = single_app(tmp_path)
    runners.append(proc.start())
    await proc.wait_http(http, f"http://127.0.0.1:{http_port}/v1.0/healthz", 204)
    scraped = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
    assert scraped.status_code == 200
    assert 'dapr_http_server_request_count{app_id="solo",method="GET"' in scraped.text
    env = json.loads((tmp_path / "env.json").read_text())["env"]
    assert env["DAPR_METRICS_PORT"] == str(metrics_port)


async def test_enable_metrics_false_serves_none(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, http_port, metrics_port = single_app(tmp_path, "--enable-metrics=false")
    runners.append(proc.start())
    await proc.wait_http(http, f"http://127.0.0.1:{http_port}/v1.0/healthz", 204)
    with pytest.raises(httpx.ConnectError):
        await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
