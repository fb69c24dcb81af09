"""``sidecar list`` and ``sidecar stop`` reach runs started by other processes, through the
per-user record of runs under ``~/.dapr`` (each test has a HOME of its own)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.integration._processes import SidecarProcess

from ._runner_procs import finish, runner, start_tiny, start_two_apps, wait_recorded, wait_status

pytestmark = pytest.mark.integration


async def cli(tmp_path: Path, *args: str) -> tuple[int, str]:
    """``python -m sidecar ARGS`` as another process of the same user; its code and stdout."""
    proc = runner(tmp_path, *args[1:], subcommand=args[0]).start()
    code = await finish(proc)
    return code, proc.stdout().rsplit(" start #1 at ", 1)[1].split("\n", 1)[1]  # this start's


async def listed(tmp_path: Path) -> list[dict[str, object]]:
    code, out = await cli(tmp_path, "list", "-o", "json")
    assert code == 0, out
    rows: list[dict[str, object]] = json.loads(out)
    return rows


async def test_list_then_stop_a_run_file_from_another_process(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, ports = start_two_apps(tmp_path, runners)
    alpha_port, alpha_http, beta_http = ports["alpha_port"], ports["alpha_http"], ports["beta_http"]
    await wait_status(proc, http, f"http://127.0.0.1:{beta_http}/v1.0/healthz")
    app = await wait_recorded(proc, tmp_path / "alpha")

    async def both_listed() -> list[dict[str, object]] | None:
        rows = await listed(tmp_path)
        return rows if len(rows) == 2 else None

    rows = await proc.until(both_listed, "both apps in sidecar list")
    alpha = next(r for r in rows if r["appId"] == "alpha")
    assert (alpha["httpPort"], alpha["appPort"], alpha["appPid"]) == (alpha_http, alpha_port,
                                                                      app["pid"])  # fmt: skip
    assert alpha["cliPid"] == proc.pid and alpha["runTemplatePath"] == str(tmp_path / "dapr.yaml")
    code, table = await cli(tmp_path, "list")
    assert table.splitlines()[0].split()[:4] == ["APP", "ID", "HTTP", "PORT"]
    code, out = await cli(tmp_path, "stop", "-f", ".")
    assert code == 0 and "✅  Dapr and app processes stopped successfully" in out, out
    assert await finish(proc) == 0, proc.describe()
    assert await listed(tmp_path) == []
    assert (await cli(tmp_path, "list"))[1] == "No Dapr instances found.\n"


async def test_stop_by_app_id_and_stale_records(
    app_dir: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, base = start_tiny(app_dir, runners)
    await wait_status(proc, http, f"{base}/healthz")

    async def tiny_listed() -> bool:
        return [r["appId"] for r in await listed(app_dir)] == ["tiny"]

    await proc.until(tiny_listed, "tiny in sidecar list")
    runs = app_dir / ".dapr" / "sidecar-runs"
    stale = {"cliPid": 2**22 + 7, "started": "1", "created": 0, "runTemplatePath": "",
             "runTemplateName": "", "apps": [{"appId": "ghost"}]}  # fmt: skip
    (runs / "4194311.json").write_text(json.dumps(stale))  # a runner killed by SIGKILL
    assert [r["appId"] for r in await listed(app_dir)] == ["tiny"]
    assert not (runs / "4194311.json").exists()
    code, out = await cli(app_dir, "stop", "--app-id", "tiny")
    assert code == 0 and "✅  app stopped successfully: tiny" in out, out
    assert await finish(proc) == 0, proc.describe()
    code, out = await cli(app_dir, "stop", "--app-id", "tiny")
    assert code == 1, out


async def test_sigterm_leaves_no_record(
    app_dir: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, base = start_tiny(app_dir, runners)
    await wait_status(proc, http, f"{base}/healthz")
    await proc.until(lambda: _has_records(app_dir), "the run's record")
    assert await finish(proc, signal.SIGTERM) == 0, proc.describe()
    assert not list((app_dir / ".dapr" / "sidecar-runs").glob("*.json"))


async def _has_records(app_dir: Path) -> bool:
    return bool(list((app_dir / ".dapr" / "sidecar-runs").glob("*.json")))
