"""Run a multi-app run file on real Dapr: placement, scheduler, and one daprd per app.

``python -m sidecar.real_dapr -f .`` (``./dev up --runtime dapr``) does what ``dapr run -f .``
does, for a machine that has daprd, placement and scheduler (``./dev dapr-install``) but not the
Dapr CLI. Placement and the scheduler keep their data under ``<run file dir>/.dapr/dapr/`` and
listen on ports 6050-6064 (none of the clashing defaults 8080, 9090, 2379, 2380, 8201, and below
the ephemeral range). Names resolve through a SQLite file (no multicast). Each app gets its daprd
and its command with the environment the Dapr CLI gives apps; output lines are prefixed
``== APP - id ==`` and ``== DAPR - id ==``. Ctrl-C (or SIGTERM) stops the apps, then the daprds,
then the control plane; every child also gets a parent-death signal, so nothing outlives a
killed runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from ._runfile import AppConfig, RunFile
from ._runner import free_port

log = logging.getLogger(__name__)

# Below Linux's ephemeral range (32768-60999), so no outgoing connection can hold one of them.
CONTROL_PORTS = {"placement": 6050, "scheduler": 6060}
PLACEMENT_HEALTH, SCHEDULER_HEALTH = 6051, 6061
CONTROL_PLANE_PORTS = (6050, 6051, 6052, 6053, 6060, 6061, 6062, 6063, 6064)


class RealDaprError(Exception):
    """Real Dapr cannot be started; the message says what is missing."""


def install_dir(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    return Path(env.get("DAPR_INSTALL_DIR") or Path.home() / ".dapr")


def binaries(root: Path) -> dict[str, Path]:
    """daprd, placement and scheduler under ``root/bin``; a clear error when one is missing."""
    found = {name: root / "bin" / name for name in ("daprd", "placement", "scheduler")}
    missing = [str(p) for p in found.values() if not p.exists()]
    if missing:
        raise RealDaprError(f"{', '.join(missing)} missing: run ./dev dapr-install first")
    return found


def app_config(source: Path | None, db: Path, target: Path) -> Path:
    """The app's Configuration, resolving names through SQLite unless it names a resolver.

    (daprd's self-hosted default, mDNS, multicasts on the host's network.)
    """
    doc: dict[str, Any] = {}
    if source is not None and source.exists():
        doc = yaml.safe_load(source.read_text()) or {}
    doc.setdefault("apiVersion", "dapr.io/v1alpha1")
    doc.setdefault("kind", "Configuration")
    doc.setdefault("metadata", {"name": "daprConfig"})
    spec = doc.setdefault("spec", None) or {}
    doc["spec"] = spec
    spec.setdefault(
        "nameResolution",
        {"component": "sqlite", "configuration": {"connectionString": str(db)}},
    )
    target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return target


def port_free(port: int) -> bool:
    """Whether ``port`` on the loopback address can be bound now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:
    """In the child: SIGTERM when the runner dies (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@dataclass
class Child:
    label: str
    args: Sequence[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.args,
            cwd=self.cwd,
            env=self.env or None,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        asyncio.create_task(self._forward(), name=f"output {self.label}")

    async def _forward(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        async for line in self.proc.stdout:
            text = line.decode(errors="replace").rstrip("\n")
            sys.stdout.write(f"== {self.label} == {text}\n")
            sys.stdout.flush()

    async def stop(self, grace: float = 5.0) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()


@dataclass
class ControlPlane:
    """Placement and scheduler for one project, on fixed ports that avoid Dapr's clashing ones."""

    bins: dict[str, Path]
    data: Path
    children: list[Child] = field(default_factory=list)

    def commands(self) -> list[Child]:
        place, sched = CONTROL_PORTS["placement"], CONTROL_PORTS["scheduler"]
        placement = [
            str(self.bins["placement"]),
            *("--port", str(place), "--healthz-port", str(PLACEMENT_HEALTH)),
            *("--metrics-port", "6052"),
            "--initial-cluster=dapr-placement-0=127.0.0.1:6053",
        ]
        scheduler = [
            str(self.bins["scheduler"]),
            *("--port", str(sched), "--listen-address", "127.0.0.1"),
            *("--healthz-port", str(SCHEDULER_HEALTH), "--metrics-port", "6062"),
            *("--etcd-data-dir", str(self.data / "scheduler"), "--etcd-client-port", "6063"),
            "--etcd-initial-cluster=dapr-scheduler-server-0=http://localhost:6064",
        ]
        return [Child("PLACEMENT", placement, self.data), Child("SCHEDULER", scheduler, self.data)]

    async def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        taken = [p for p in CONTROL_PLANE_PORTS if not port_free(p)]
        if taken:
            raise RealDaprError(
                f"port(s) {', '.join(map(str, taken))} already in use: is another real-Dapr run"
                " (placement, scheduler) still running?"
            )
        for child in self.commands():
            await child.start()
            self.children.append(child)
        await wait_http(f"http://127.0.0.1:{PLACEMENT_HEALTH}/healthz", 30, "placement")
        await wait_http(f"http://127.0.0.1:{SCHEDULER_HEALTH}/healthz", 60, "scheduler")
        for child in self.children:  # a health answer from another project's control plane?
            if child.proc is not None and child.proc.returncode is not None:
                raise RealDaprError(
                    f"{child.label.lower()} exited with code {child.proc.returncode} (its output"
                    " is above; is another real-Dapr run using ports 6050/6060?)"
                )


async def wait_http(url: str, timeout: float, what: str, status: int = 200) -> None:
    async with httpx.AsyncClient(timeout=1) as client:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == status:
                    return
            await asyncio.sleep(0.2)
    raise RealDaprError(f"{what} did not answer {url} within {timeout:.0f} s")


def daprd_args(app: AppConfig, daprd: Path, data: Path, http: int, grpc: int) -> list[str]:
    config = app_config(
        app.shared.config_file, data / "nameresolution.db", data / f"config-{app.app_id}.yaml"
    )
    args = [
        str(daprd),
        *("--app-id", app.app_id, "--dapr-http-port", str(http), "--dapr-grpc-port", str(grpc)),
        *("--metrics-port", str(app.metrics_port or free_port())),
        *("--placement-host-address", f"localhost:{CONTROL_PORTS['placement']}"),
        *("--scheduler-host-address", f"localhost:{CONTROL_PORTS['scheduler']}"),
        *("--config", str(config)),
    ]
    for path in app.shared.resources_paths:
        args += ["--resources-path", str(path)]
    if app.app_port:
        args += ["--app-port", str(app.app_port)]
    if app.shared.app_protocol:
        args += ["--app-protocol", app.shared.app_protocol.lower()]
    if app.shared.log_level:
        args += ["--log-level", app.shared.log_level]
    if app.shared.enable_app_health_check:
        args += ["--enable-app-health-check"]
    return args


def app_env(app: AppConfig, http: int, grpc: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAPR_")}
    env.update(app.shared.env)
    env.update({"APP_ID": app.app_id, "DAPR_HTTP_PORT": str(http), "DAPR_GRPC_PORT": str(grpc)})
    if app.app_port:
        env["APP_PORT"] = str(app.app_port)
    return env


async def run(run_file: RunFile, stop: asyncio.Event) -> int:
    """Start everything, print one ready line, wait for ``stop`` or an app to exit; stop all."""
    bins = binaries(install_dir())
    data = run_file.path.parent / ".dapr" / "dapr"
    plane = ControlPlane(bins, data)
    daprds: list[Child] = []
    apps: list[Child] = []
    try:
        await plane.start()
        ready = []
        for app in run_file.apps:
            http, grpc = app.dapr_http_port or free_port(), app.dapr_grpc_port or free_port()
            args = daprd_args(app, bins["daprd"], data, http, grpc)
            daprds.append(Child(f"DAPR - {app.app_id}", args, app.app_dir))
            await daprds[-1].start()
            # one daprd at a time through component init: two opening a new state.sqlite file
            # together race for its WAL switch, and the loser exits ("database is locked")
            outbound = f"http://127.0.0.1:{http}/v1.0/healthz/outbound"
            await wait_http(outbound, 60, f"daprd {app.app_id} components", 204)
            if app.command:
                env = app_env(app, http, grpc)
                apps.append(Child(f"APP - {app.app_id}", app.command, app.app_dir, env))
                await apps[-1].start()
            ready.append((app, http))
        for app, http in ready:
            await wait_http(f"http://127.0.0.1:{http}/v1.0/healthz", 60, f"daprd {app.app_id}", 204)
        lines = ", ".join(f"{a.app_id} http://127.0.0.1:{a.app_port} (daprd {h})" for a, h in ready)
        log.warning("ready on real Dapr: %s", lines)
        waits: list[asyncio.Future[object]] = [asyncio.ensure_future(stop.wait())]
        waits += [asyncio.ensure_future(c.proc.wait()) for c in apps + daprds if c.proc]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        return 0
    finally:
        for child in [*apps, *daprds, *reversed(plane.children)]:
            await child.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sidecar.real_dapr [-f PATH]``: see the module docstring."""
    from ._runfile import find_run_file, load_run_file

    args = list(sys.argv[1:] if argv is None else argv)
    target = Path(args[args.index("-f") + 1]) if "-f" in args else Path.cwd()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        run_file = load_run_file(find_run_file(target))
    except Exception as exc:  # a bad run file: say so, exit non-zero
        log.error("%s", exc)
        return 2
    return asyncio.run(_main(run_file))


async def _main(run_file: RunFile) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await run(run_file, stop)
    except RealDaprError as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
