"""What the runner prints: one ready line naming every app's URL and sidecar port, and app output
forwarded without ever stalling the runtime, even when nobody reads the runner's output."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.integration._processes import SidecarProcess, free_ports

from ._runner_procs import runner, start_two_apps, wait_status

pytestmark = pytest.mark.integration


async def test_one_ready_line_lists_every_app_url_and_sidecar_port(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, ports = start_two_apps(tmp_path, runners)
    alpha_port, alpha_http, beta_http = ports["alpha_port"], ports["alpha_http"], ports["beta_http"]
    expected = (
        f"ready: alpha http://127.0.0.1:{alpha_port} (sidecar {alpha_http}),"
        f" beta (no app port, sidecar {beta_http})"
    )

    async def ready_lines() -> list[str]:
        return [line for line in proc.stderr().splitlines() if "ready: " in line]

    (line,) = await proc.until(ready_lines, "the ready line")
    assert line.endswith(expected), line


FLOOD = "import time\nfor i in range(100_000):\n    print(f'{i:06d}', 'x' * 100)\ntime.sleep(120)\n"


async def test_a_console_nobody_reads_does_not_stall_the_sidecars(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    (tmp_path / "flood.py").write_text(FLOOD)
    (port,) = free_ports(1)
    args = ("--app-id", "flood", "--dapr-http-port", str(port), "--", sys.executable, "flood.py")
    proc = runner(tmp_path, *args)
    proc.stdout_pipe = True  # the runner's stdout: a pipe nobody reads, so it fills and blocks
    runners.append(proc.start())
    metadata = f"http://127.0.0.1:{port}/v1.0/metadata"
    await wait_status(proc, http, metadata, 200)
    logs = tmp_path / ".dapr" / "logs"
    sizes: list[int] = []

    async def console_full_and_sidecar_answering() -> bool:
        response = await http.get(metadata, timeout=10)  # a stalled event loop never answers
        assert response.status_code == 200
        sizes.append(sum(f.stat().st_size for f in logs.glob("flood_app_*.log")))
        return len(sizes) > 5 and sizes[-1] > 32_768 and len(set(sizes[-5:])) == 1

    await proc.until(console_full_and_sidecar_answering, "the console to fill up")
