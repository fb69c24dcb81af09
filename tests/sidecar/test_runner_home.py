"""The runtime home follows the project, only its owner can read it, and ``sidecar reset``."""

from __future__ import annotations

import os
import signal
import stat
import sys
from pathlib import Path

import httpx
import pytest

from sidecar._config import default_home, private_dir
from tests.integration._processes import SidecarProcess, free_ports
from tests.integration._support import write_statestore

from ._runner_procs import TINY_APP, finish, runner, start_tiny, wait_recorded, wait_status


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_home_is_inside_the_project_unless_sidecar_home_says_otherwise(
    tmp_path: Path,
) -> None:
    assert default_home(tmp_path, env={}) == tmp_path / ".dapr" / "sidecar"
    assert default_home(env={}) == Path.cwd() / ".dapr" / "sidecar"
    assert default_home(tmp_path, env={"SIDECAR_HOME": "/x/y"}) == Path("/x/y")


def test_private_dir_creates_0700_and_tightens_an_existing_folder(tmp_path: Path) -> None:
    assert mode(private_dir(tmp_path / "a" / "b")) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    assert mode(private_dir(loose)) == 0o700


@pytest.mark.integration
async def test_home_logs_and_databases_are_private_and_the_app_keeps_its_umask(
    app_dir: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    (app_dir / ".dapr").mkdir(mode=0o755)  # left by an older version, with a readable state file
    (app_dir / ".dapr").chmod(0o755)
    proc, base = start_tiny(app_dir, runners, env={"SIDECAR_HOME": ""})  # the default home
    await wait_status(proc, http, f"{base}/healthz")
    await wait_recorded(proc, app_dir)
    assert await finish(proc, signal.SIGTERM) == 0, proc.describe()
    home = app_dir / ".dapr" / "sidecar"
    assert mode(home) == 0o700 and mode(app_dir / ".dapr" / "logs") == 0o700
    assert mode(app_dir / ".dapr") == 0o700
    private = [home / "scheduler.db", home / "registry.db", home / "internal.key"]
    private += list((app_dir / ".dapr" / "logs").glob("tiny_*.log"))
    assert len(private) == 5
    assert {p.name: mode(p) for p in private} == {p.name: 0o600 for p in private}
    assert mode(app_dir / "env.json") == 0o666 & ~umask  # written by the app: its own umask


PROJECT = """\
version: 1
common:
  resourcesPaths: [./components]
apps:
  - appID: waiter
    appDirPath: .
    daprHTTPPort: {port}
    command: ["{python}", "-c", "import time; time.sleep(120)"]
"""


@pytest.mark.integration
async def test_reset_deletes_the_home_and_state_files_but_not_while_running(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    (port,) = free_ports(1)
    (tmp_path / "dapr.yaml").write_text(PROJECT.format(port=port, python=sys.executable))
    write_statestore(tmp_path / "components", tmp_path / ".dapr" / "state.db")
    env = {"SIDECAR_HOME": ""}
    proc = runner(tmp_path, "-f", ".", env=env).start()
    runners.append(proc)
    await wait_status(proc, http, f"http://127.0.0.1:{port}/v1.0/healthz")
    home, state = tmp_path / ".dapr" / "sidecar", tmp_path / ".dapr" / "state.db"
    assert home.is_dir() and state.is_file()

    refused = runner(tmp_path, "-f", ".", env=env, subcommand="reset")
    assert await finish(refused.start()) == 1, refused.describe()
    assert f"{home} is in use by running sidecars: waiter (pid {proc.pid})" in refused.stderr()
    assert home.is_dir() and state.is_file()

    assert await finish(proc, signal.SIGTERM) == 0, proc.describe()
    done = runner(tmp_path, "-f", ".", env=env, subcommand="reset")
    assert await finish(done.start()) == 0, done.describe()
    assert not home.exists() and not state.exists()
    assert f"removed {home}" in done.stderr() and f"removed {state}" in done.stderr()


@pytest.mark.integration
async def test_single_app_runs_in_the_app_folders_of_a_project_find_each_other(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    """As the quickstarts run them: `cd order-processor && dapr run ...`, then the same in
    `checkout`; both share the home of the project holding dapr.yaml."""
    (tmp_path / "dapr.yaml").write_text("version: 1\napps: []\n")
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
    (tmp_path / "alpha" / "app.py").write_text(TINY_APP)
    app_port, alpha_http, beta_http = free_ports(3)
    env = {"SIDECAR_HOME": ""}
    alpha = runner(tmp_path / "alpha", "-a", "alpha", "-p", str(app_port), "-H", str(alpha_http),
                   "--", sys.executable, "app.py", env=env).start()  # fmt: skip
    beta = runner(tmp_path / "beta", "-a", "beta", "-H", str(beta_http), env=env).start()
    runners.extend([alpha, beta])
    await wait_status(alpha, http, f"http://127.0.0.1:{alpha_http}/v1.0/healthz")
    await wait_status(beta, http, f"http://127.0.0.1:{beta_http}/v1.0/healthz")
    answer = await http.get(f"http://127.0.0.1:{beta_http}/v1.0/invoke/alpha/method/anything")
    assert answer.status_code == 404, answer.text  # alpha's own answer: beta found alpha
    assert (tmp_path / ".dapr" / "sidecar" / "registry.db").is_file()
