"""``sidecar run`` prints the Dapr CLI's status lines at the CLI's moments and exits as it does:
0 after Ctrl-C or SIGTERM of a healthy run, 1 (with the code reported) when an app fails."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration._processes import SidecarProcess

from ._runner_procs import (
    finish,
    run_file,
    runner,
    start_tiny,
    wait_recorded,
    wait_status,
)

pytestmark = pytest.mark.integration


def in_order(text: str, *expected: str) -> bool:
    """Whether every expected piece occurs in ``text``, each after the one before."""
    at = 0
    for piece in expected:
        at = text.find(piece, at)
        if at < 0:
            return False
        at += len(piece)
    return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_a_healthy_single_app_run_prints_the_cli_lines_and_exits_0_on_a_signal(
    app_dir: Path,
    http: httpx.AsyncClient,
    runners: list[SidecarProcess],
    sig: signal.Signals,
) -> None:
    proc, base = start_tiny(app_dir, runners)
    await wait_status(proc, http, f"{base}/healthz")
    app = await wait_recorded(proc, app_dir)
    http_port, grpc_port = app["env"]["DAPR_HTTP_PORT"], app["env"]["DAPR_GRPC_PORT"]

    async def up() -> bool:
        return "You're up and running!" in proc.stdout()

    await proc.until(up, "the up-and-running line")
    assert await finish(proc, sig) == 0, proc.describe()
    assert in_order(
        proc.stdout(),
        f"ℹ️  Starting Dapr with id tiny. HTTP Port: {http_port}. gRPC Port: {grpc_port}\n",
        f"ℹ️  Updating metadata for appPID: {app['pid']}\n",
        f"ℹ️  Updating metadata for app command: {sys.executable} app.py\n",
        "✅  You're up and running! Both Dapr and your app logs will appear here.\n\n",
        "ℹ️  \nterminated signal received: shutting down\n",
        "✅  Exited Dapr successfully\n",
        "✅  Exited App successfully\n",
    ), proc.describe()


async def test_a_failing_single_app_is_reported_and_the_run_exits_1(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    fail = "print('bye'); raise SystemExit(3)"
    proc = runner(tmp_path, "--app-id", "fails", "--", sys.executable, "-c", fail).start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    assert "bye\n" in proc.stdout()
    assert "❌  The App process exited with error code: 3\n" in proc.stderr(), proc.describe()
    assert in_order(proc.stdout(), "terminated signal received", "✅  Exited Dapr successfully")


@pytest.mark.parametrize(
    ("beta", "code"),
    [("import time; time.sleep(120)", 0), ("raise SystemExit(3)", 1)],
    ids=["healthy", "beta-fails"],
)
async def test_a_run_file_prints_the_cli_lines_and_exits_as_the_cli(
    tmp_path: Path,
    http: httpx.AsyncClient,
    runners: list[SidecarProcess],
    beta: str,
    code: int,
) -> None:
    ports = run_file(tmp_path, beta)
    proc = runner(tmp_path, "-f", ".").start()
    runners.append(proc)
    await wait_status(proc, http, f"http://127.0.0.1:{ports['alpha_http']}/v1.0/healthz")
    grpc = (await wait_recorded(proc, tmp_path / "alpha"))["env"]["DAPR_GRPC_PORT"]
    lines = (
        'ℹ️  Validating config and starting app "alpha"\n',
        f'ℹ️  Started Dapr with app id "alpha". HTTP Port: {ports["alpha_http"]}.'
        f" gRPC Port: {grpc}\n",
        f"ℹ️  Writing log files to directory : {tmp_path / 'alpha/.dapr/logs'}\n",
        'ℹ️  Validating config and starting app "beta"\n',
        f'ℹ️  Started Dapr with app id "beta". HTTP Port: {ports["beta_http"]}.',
    )

    async def started() -> bool:
        return in_order(proc.stdout(), *lines)

    await proc.until(started, "the CLI's start lines")
    if code:
        failed = "The App process exited with error code: exit status 3\n"

        async def reported() -> bool:
            return failed in proc.stdout()

        await proc.until(reported, "beta's failure")
    assert await finish(proc, signal.SIGINT) == code, proc.describe()
    stopping = "ℹ️  Received signal to stop Dapr and app processes."
    assert stopping + " Shutting down Dapr and app processes.\n" in proc.stdout()
