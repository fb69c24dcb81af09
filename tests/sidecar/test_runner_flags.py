"""``sidecar run`` takes every ``dapr run`` flag: honours what the runtime can, warns once for
what it cannot, refuses what would change what the app sees; makes up an app id when none is
given, as the CLI does."""

from __future__ import annotations

import asyncio
import re
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from sidecar._cli import build_parser
from tests.integration._processes import SidecarProcess, free_ports

from ._runner_procs import finish, runner, wait_status

# Every flag of `dapr run` in Dapr CLI 1.18 (cmd/run.go, and the root's persistent flags).
DAPR_RUN_FLAGS = (
    "--app-port", "-p", "--app-id", "-a", "--config", "-c", "--dapr-http-port", "-H",
    "--dapr-grpc-port", "-G", "--dapr-internal-grpc-port", "-I", "--enable-profiling",
    "--profile-port", "--log-level", "--app-max-concurrency", "--app-protocol", "-P",
    "--components-path", "-d", "--resources-path", "--placement-host-address",
    "--scheduler-host-address", "--app-ssl", "--metrics-port", "-M", "--help", "-h",
    "--max-body-size", "--read-buffer-size", "--unix-domain-socket", "-u",
    "--enable-app-health-check", "--app-health-check-path", "--app-health-probe-interval",
    "--app-health-probe-timeout", "--app-health-threshold", "--enable-api-logging",
    "--kubernetes", "-k", "--dapr-listen-addresses", "--run-file", "-f",
    "--app-channel-address", "--runtime-path", "--log-as-json",
)  # fmt: skip


def test_run_knows_every_dapr_run_flag() -> None:
    run = build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    known = {option for action in run._actions for option in action.option_strings}
    assert sorted(set(DAPR_RUN_FLAGS) - known) == []
    assert all(action.help for action in run._actions), "every flag says what it does here"


ENV_APP = "import json, os; print(json.dumps({'id': os.environ['APP_ID']}))"


@pytest.mark.integration
async def test_ignored_flags_start_the_app_with_one_warning_each(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    ignored = ("--enable-profiling", "--profile-port", "7777", "-I", "50002",
               "--scheduler-host-address", "localhost:50006", "--read-buffer-size", "16Ki",
               "--enable-api-logging", "--placement-host-address", "localhost:50005")  # fmt: skip
    args = ("--app-id", "flags", *ignored, "--", sys.executable, "-c", ENV_APP)
    proc = runner(tmp_path, *args).start()
    runners.append(proc)
    assert await finish(proc) == 0, proc.describe()
    assert '{"id": "flags"}' in proc.stdout()
    for flag in ("--enable-profiling", "--profile-port", "--dapr-internal-grpc-port",
                 "--scheduler-host-address", "--read-buffer-size", "--enable-api-logging",
                 "--placement-host-address"):  # fmt: skip
        assert proc.stderr().count(f"flag {flag} is ignored: ") == 1, proc.describe()


@pytest.mark.integration
@pytest.mark.parametrize(
    ("flags", "named"),
    [(("-u", "/tmp"), "--unix-domain-socket"), (("-k",), "--kubernetes"),
     (("--dapr-listen-addresses", "127.0.0.1,::1"), "--dapr-listen-addresses")],
)  # fmt: skip
async def test_flags_that_would_change_what_the_app_sees_are_refused(
    tmp_path: Path, runners: list[SidecarProcess], flags: tuple[str, ...], named: str
) -> None:
    proc = runner(tmp_path, "--app-id", "x", *flags, "--", sys.executable, "-c", "").start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    (line,) = [ln for ln in proc.stderr().splitlines() if ln.startswith("sidecar: error:")]
    assert named in line


@pytest.mark.integration
async def test_no_app_id_makes_one_up_as_the_cli_does(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    proc = runner(tmp_path, "--", sys.executable, "-c", ENV_APP).start()
    runners.append(proc)
    assert await finish(proc) == 0, proc.describe()
    (app_id,) = re.findall(r'\{"id": "([^"]+)"\}', proc.stdout())
    assert re.fullmatch(r"[a-z]+-[a-z]+", app_id), app_id
    assert f"Starting Dapr with id {app_id}." in proc.stdout()


CONFIG = """
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: {{name: cfg}}
spec:
  features:
    - {{name: SchedulerReminders, enabled: true}}
    - {{name: Off, enabled: false}}
{extra}
"""


@pytest.mark.integration
async def test_a_config_file_enables_its_features_and_says_a_zipkin_exporter_is_skipped(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    extra = "  tracing: {samplingRate: '1', zipkin: {endpointAddress: http://localhost:9411}}"
    (tmp_path / "config.yaml").write_text(CONFIG.format(extra=extra))
    (port,) = free_ports(1)
    proc = runner(tmp_path, "--app-id", "cfg", "-H", str(port), "--config", "config.yaml").start()
    runners.append(proc)
    url = f"http://127.0.0.1:{port}/v1.0/metadata"
    metadata = (await wait_status(proc, http, url, 200)).json()
    assert metadata["enabledFeatures"] == ["SchedulerReminders"]
    assert "spans are only exported over OTLP/HTTP; this exporter is skipped" in proc.stderr()


@pytest.mark.integration
async def test_a_config_file_with_access_control_is_refused(
    tmp_path: Path, runners: list[SidecarProcess]
) -> None:
    extra = "  accessControl: {defaultAction: deny, trustDomain: public}"
    (tmp_path / "config.yaml").write_text(CONFIG.format(extra=extra))
    proc = runner(tmp_path, "--app-id", "acl", "-c", "config.yaml").start()
    runners.append(proc)
    assert await finish(proc) == 1, proc.describe()
    assert "spec.accessControl: not supported" in proc.stderr()


BUSY_APP = textwrap.dedent(
    """
    import json, os, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lock, both = threading.Lock(), threading.Event()
    state = {"now": 0, "most": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
                if state["now"] >= 2:
                    both.set()
            both.wait(5)  # two at once end at once; one alone waits (only slows the test down)
            with lock:
                state["now"] -= 1
            body = json.dumps(state).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(os.environ["APP_PORT"])), Handler).serve_forever()
    """
)


@pytest.mark.integration
async def test_app_max_concurrency_bounds_the_calls_to_the_app(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    (tmp_path / "busy.py").write_text(BUSY_APP)
    app_port, port = free_ports(2)
    args = ("--app-id", "busy", "-p", str(app_port), "-H", str(port), "--app-max-concurrency",
            "1", "--", sys.executable, "busy.py")  # fmt: skip
    proc = runner(tmp_path, *args).start()
    runners.append(proc)
    base = f"http://127.0.0.1:{port}/v1.0"
    await wait_status(proc, http, f"{base}/healthz")
    url = f"{base}/invoke/busy/method/work"
    answers = await asyncio.gather(*(http.post(url, timeout=30) for _ in range(2)))
    assert [a.status_code for a in answers] == [200, 200]
    assert max(a.json()["most"] for a in answers) == 1
