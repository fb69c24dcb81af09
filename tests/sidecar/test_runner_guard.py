"""Apps never outlive their runner; a start on a taken port fails naming the port's holder; an
app that fails makes the runner fail."""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration._processes import SidecarProcess, free_ports

from ._runner_procs import all_gone, app_pids, finish, runner, wait_recorded, wait_status

pytestmark = pytest.mark.integration


@pytest.fixture
def listener() -> Iterator[int]:
    """A port this test process listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def start(app_dir: Path, runners: list[SidecarProcess], *command: str, app_port: int = 0) -> str:
    free, http_port = free_ports(2)
    proc = runner(
        app_dir, "--app-id", "tiny", "--app-port", str(app_port or free),
        "--dapr-http-port", str(http_port), "--", *command,
    ).start()  # fmt: skip
    runners.append(proc)
    return f"http://127.0.0.1:{http_port}/v1.0"


@pytest.mark.parametrize(
    "command",
    [(sys.executable, "app.py"), ("sh", "-c", f"{sys.executable} app.py; true")],  # sh stays
    ids=["direct", "through-a-shell"],
)
async def test_apps_and_their_children_die_with_a_killed_runner(
    app_dir: Path, http: httpx.AsyncClient, runners: list[SidecarProcess], command: tuple[str, ...]
) -> None:
    base = start(app_dir, runners, *command)
    proc = runners[0]
    await wait_status(proc, http, f"{base}/healthz")
    app = await wait_recorded(proc, app_dir)
    proc.send_signal(signal.SIGKILL)  # the runner alone: each app lives in a session of its own
    await all_gone(proc, *app_pids(app))


async def test_a_taken_app_port_is_a_start_up_error_naming_its_holder(
    app_dir: Path, runners: list[SidecarProcess], listener: int
) -> None:
    start(app_dir, runners, sys.executable, "app.py", app_port=listener)
    proc = runners[0]
    assert await finish(proc) == 1, proc.describe()
    (line,) = [ln for ln in proc.stderr().splitlines() if ln.startswith("sidecar: error:")]
    assert f"port {listener} is already in use by pid {os.getpid()} (" in line, line
    assert not (app_dir / "env.json").exists()  # the app was never started


@pytest.mark.parametrize("flag", ["--dapr-http-port", "--dapr-grpc-port"])
async def test_a_taken_sidecar_port_is_a_start_up_error_naming_its_holder(
    app_dir: Path, runners: list[SidecarProcess], listener: int, flag: str
) -> None:
    proc = runner(app_dir, "--app-id", "tiny", flag, str(listener)).start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    (line,) = [ln for ln in proc.stderr().splitlines() if ln.startswith("sidecar: error:")]
    field = {"--dapr-http-port": "daprHTTPPort", "--dapr-grpc-port": "daprGRPCPort"}[flag]
    assert f"{field}: port {listener} is already in use by pid {os.getpid()} (" in line, line


async def test_an_app_that_exits_with_an_error_makes_the_runner_exit_1(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    proc = runner(tmp_path, "--app-id", "bad", "--", sys.executable, "-c", "raise SystemExit(4)")
    runners.append(proc.start())
    assert await finish(proc) == 1, proc.describe()
    assert "app bad exited with code 4" in proc.stderr()
    assert "apps exited with errors: bad (code 4)" in proc.stderr()


async def test_one_port_given_to_two_servers_is_a_start_up_error(
    app_dir: Path, runners: list[SidecarProcess]
) -> None:
    (port,) = free_ports(1)
    proc = runner(
        app_dir, "--app-id", "tiny", "--dapr-http-port", str(port), "--dapr-grpc-port", str(port)
    ).start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    (line,) = [ln for ln in proc.stderr().splitlines() if ln.startswith("sidecar: error:")]
    assert f"one port given to two servers: daprHTTPPort {port}, daprGRPCPort {port}" in line


def test_ports_picked_one_after_another_are_all_different() -> None:
    """The kernel may hand one port to two ``bind(0)`` calls in a row once the first socket is
    closed; a sidecar's HTTP and gRPC ports picked that way could be one."""
    picked = free_ports(1000)
    assert len(set(picked)) == len(picked)
