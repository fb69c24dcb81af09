"""One helper per real Dapr binary (placement, scheduler, daprd), as dapr's own integration
framework has them: each picks free ports, waits on its health check, shows the process's own
output when a wait fails, and is stopped by its process group.

The binaries are the ones ``./dev dapr-install`` lays out under ``$DAPR_INSTALL_DIR/bin`` (default
``~/.dapr/bin``); :func:`missing_reason` says why tests that need them must skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from sidecar._runner import free_port

_TAIL = 4000


def install_dir() -> Path:
    """Where ``./dev dapr-install`` puts real Dapr (``bin/daprd``, ``bin/placement``, ...)."""
    return Path(os.environ.get("DAPR_INSTALL_DIR") or Path.home() / ".dapr")


def binary(name: str) -> Path:
    return install_dir() / "bin" / name


def missing_reason() -> str | None:
    """None when real daprd, placement and scheduler are installed; else why a test must skip."""
    missing = [name for name in ("daprd", "placement", "scheduler") if not binary(name).is_file()]
    if not missing:
        return None
    where = install_dir() / "bin"
    return f"real Dapr not installed: no {', '.join(missing)} in {where} (./dev dapr-install)"


class ProcessFailed(AssertionError):
    """A wait on a process failed; the message carries the tail of the process's own output."""


class Process:
    """A child process in its own session, its stdout and stderr in ``log``."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.log = log
        self.env = dict(env) if env is not None else dict(os.environ)
        self.cwd = cwd
        self.user: str | None = None  # run as this user (a server that refuses root)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                self.args,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self.user,
            )
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def fail(self, what: str) -> ProcessFailed:
        return ProcessFailed(f"{self.name}: {what}\n--- its output ---\n{self.output()[-_TAIL:]}")

    def wait_http(
        self, url: str, statuses: tuple[int, ...] = (200, 204), timeout: float = 60
    ) -> None:
        """Poll ``url`` until it answers one of ``statuses``; fail with the output if the process
        exits or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    raise self.fail(f"exited before {url} answered")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url).status_code in statuses:
                        return
                time.sleep(0.05)
        raise self.fail(f"{url} did not answer {statuses} within {timeout} s")

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after 10 s; anything left in the group too."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Placement(Process):
    """``placement`` on free ports (API, healthz, metrics and its raft peer port)."""

    def __init__(self, logs: Path) -> None:
        self.port, self.healthz_port = free_port(), free_port()
        args = [str(binary("placement")), "--port", str(self.port)]
        args += ["--healthz-port", str(self.healthz_port), "--metrics-port", str(free_port())]
        args += ["--initial-cluster", f"dapr-placement-0=127.0.0.1:{free_port()}"]
        super().__init__("placement", args, logs / "placement.log")
        self.address = f"127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        self.wait_http(f"http://127.0.0.1:{self.healthz_port}/healthz")


class Scheduler(Process):
    """``scheduler`` with its embedded etcd in a fresh ``data_dir`` on free client/peer ports."""

    def __init__(self, logs: Path, data_dir: Path, log_level: str = "info") -> None:
        shutil.rmtree(data_dir, ignore_errors=True)  # every session starts with no jobs
        self.port, self.healthz_port = free_port(), free_port()
        args = [str(binary("scheduler")), "--port", str(self.port), "--listen-address", "127.0.0.1"]
        args += ["--healthz-port", str(self.healthz_port), "--metrics-port", str(free_port())]
        args += ["--etcd-data-dir", str(data_dir), "--etcd-client-port", str(free_port())]
        peer = f"dapr-scheduler-server-0=http://localhost:{free_port()}"
        args += ["--etcd-initial-cluster", peer, "--log-level", log_level]
        super().__init__("scheduler", args, logs / "scheduler.log")
        self.address = f"127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        self.wait_http(f"http://127.0.0.1:{self.healthz_port}/healthz")


@dataclass
class DaprdFlags:
    """The command line of one ``daprd``, loopback only: HTTP, gRPC, internal gRPC and metrics on
    free ports unless given; no ``placement`` means no actors, no ``app_port`` no app channel.

    ``config`` should name a sqlite resolver (see :func:`write_config`): the default, mDNS,
    multicasts on the host's network.
    """

    app_id: str
    resources: Path
    config: Path
    scheduler: str
    placement: str | None = None
    app_port: int | None = None
    app_protocol: str = "http"
    log_level: str = "info"
    http_port: int = field(default_factory=free_port)
    grpc_port: int = field(default_factory=free_port)
    internal_grpc_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)

    def args(self) -> list[str]:
        args = [str(binary("daprd")), "--app-id", self.app_id]
        if self.app_port:
            args += ["--app-port", str(self.app_port), "--app-protocol", self.app_protocol]
        args += ["--dapr-http-port", str(self.http_port), "--dapr-grpc-port", str(self.grpc_port)]
        args += ["--dapr-internal-grpc-port", str(self.internal_grpc_port)]
        args += ["--metrics-port", str(self.metrics_port), "--dapr-listen-addresses", "127.0.0.1"]
        if self.placement:
            args += ["--placement-host-address", self.placement]
        args += [
            "--scheduler-host-address",
            self.scheduler,
            "--resources-path",
            str(self.resources),
        ]
        return args + ["--config", str(self.config), "--log-level", self.log_level]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def daprd_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without Dapr's variables (a test's own ``DAPR_*`` or
    ``APP_API_TOKEN`` must not leak into a daprd), plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DAPR_", "APP_API"))}
    return base | dict(env or {})


class Daprd(Process):
    """``daprd`` for one app (see :class:`DaprdFlags`), its output in ``logs``."""

    def __init__(
        self,
        logs: Path,
        app_id: str,
        *,
        app_port: int | None,
        resources: Path,
        config: Path,
        placement: str | None,
        scheduler: str,
        env: Mapping[str, str] | None = None,
        app_protocol: str = "http",
        log_level: str = "info",
        grpc_port: int | None = None,
    ) -> None:
        flags = DaprdFlags(
            app_id, resources, config, scheduler, placement, app_port, app_protocol, log_level
        )
        flags.grpc_port = grpc_port or flags.grpc_port
        super().__init__(
            f"daprd {app_id}", flags.args(), logs / f"daprd-{app_id}.log", daprd_env(env)
        )
        self.http_port, self.grpc_port = flags.http_port, flags.grpc_port
        self.url = flags.url
        self.grpc = f"127.0.0.1:{self.grpc_port}"

    def wait_ready(self, timeout: float = 60) -> None:
        self.wait_http(f"{self.url}/v1.0/healthz", statuses=(204,), timeout=timeout)


CONFIG_YAML = """\
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: daprConfig
spec:
  nameResolution:
    component: sqlite
    configuration:
      connectionString: "{path}"
"""


def write_config(path: Path, names_db: Path) -> Path:
    """A Configuration whose name resolution is the sqlite resolver on ``names_db``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG_YAML.format(path=names_db.resolve()))
    return path
