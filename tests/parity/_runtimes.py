"""The two runtimes the catalogue runs on, each as real processes with the same components and
the same recorder app: real Dapr (placement, scheduler, two daprd) and the local runtime (two
``sidecar run``). Each serves two targets: ``main`` (app ``parity``, hosts actor type ``T``) and
``token`` (app ``parity-token``, hosts nothing, its API guarded by ``DAPR_API_TOKEN``), and a
third serves ``grpc`` (app ``parity-grpc``, called over gRPC: ``grpc_app.py``, with
``APP_API_TOKEN``)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from sidecar._runner import free_port

from ..integration._components import component, dump, write_statestore
from ..realdapr._procs import Daprd, Placement, Process, Scheduler, write_config
from ._model import API_TOKEN, GRPC, MAIN, TOKEN
from ._runner import Target

APP_SCRIPT = Path(__file__).with_name("app.py")
GRPC_SCRIPT = Path(__file__).with_name("grpc_app.py")
APPS = {MAIN: ("parity", "T"), TOKEN: ("parity-token", "")}  # target -> (app id, entities)
GRPC_APP_ID = "parity-grpc"
APP_TOKEN = "parity-app-secret"  # the gRPC app's APP_API_TOKEN


def _outbox_metadata(pubsub: str, topic: str, *internal: str) -> list[dict[str, str]]:
    names = ("outboxPublishPubsub", "outboxPublishTopic", "outboxPubsub")
    return [
        {"name": n, "value": v} for n, v in zip(names, (pubsub, topic, *internal), strict=False)
    ]


OUTBOX_COMPONENTS = [
    component("outboxbus", "pubsub.in-memory"),
    component("outboxstore", "state.in-memory", *_outbox_metadata("pubsub", "orders", "outboxbus")),
    component("brokenbox", "state.in-memory", *_outbox_metadata("nopubsub", "orders")),
]


def write_components(root: Path) -> Path:
    """``statestore`` (state.sqlite, the actor store), ``memstore``, ``pubsub``, and the outbox's
    ``outboxstore``, ``outboxbus`` and ``brokenbox`` under ``root``."""
    resources = root / "resources"
    path = write_statestore(
        resources, root / "state.db", busy_timeout=False, pubsub=True, memstore=True
    )
    path.write_text(f"{path.read_text()}---\n{dump(*OUTBOX_COMPONENTS)}")  # in load order
    return resources


def _base_env(target: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAPR_", "APP_API"))}
    env["PARITY_ENTITIES"] = APPS[target][1]
    return env


def _app(root: Path, target: str, port: int) -> Process:
    args = [sys.executable, str(APP_SCRIPT), str(port)]
    return Process(
        f"app {APPS[target][0]}", args, root / "logs" / f"app-{target}.log", _base_env(target)
    )


@contextlib.contextmanager
def real_dapr(root: Path) -> Iterator[dict[str, Target]]:
    """Placement, scheduler (fresh etcd) and one daprd plus app per target."""
    resources, logs = write_components(root), root / "logs"
    config = write_config(root / "config.yaml", root / "names.db")
    with contextlib.ExitStack() as stack:
        placement = stack.enter_context(Placement(logs).start())
        scheduler = stack.enter_context(Scheduler(logs, root / "etcd").start())
        placement.wait_ready()
        scheduler.wait_ready()
        targets: dict[str, Target] = {}
        for target, (app_id, _) in APPS.items():
            port = free_port()
            app = stack.enter_context(_app(root, target, port).start())
            app.wait_http(f"http://127.0.0.1:{port}/healthz")
            env = {"DAPR_API_TOKEN": API_TOKEN} if target == TOKEN else {}
            daprd = Daprd(
                logs,
                app_id,
                app_port=port,
                resources=resources,
                config=config,
                placement=placement.address,
                scheduler=scheduler.address,
                env=env,
            )
            stack.enter_context(daprd.start())
            daprd.wait_ready()
            targets[target] = Target(daprd.url, f"http://127.0.0.1:{port}", daprd.grpc)
        targets[GRPC] = stack.enter_context(
            _grpc_daprd(root, resources, config, placement, scheduler)
        )
        yield targets


def _grpc_app(root: Path) -> tuple[Process, int, str]:
    """The gRPC recorder: its gRPC port, and the URL of its ``/_recorded``."""
    grpc_port, http_port = free_port(), free_port()
    args = [sys.executable, str(GRPC_SCRIPT), str(grpc_port), str(http_port)]
    proc = Process("grpc app", args, root / "logs" / "app-grpc.log", _base_env(MAIN))
    return proc, grpc_port, f"http://127.0.0.1:{http_port}"


@contextlib.contextmanager
def _grpc_daprd(
    root: Path, resources: Path, config: Path, placement: Placement, scheduler: Scheduler
) -> Iterator[Target]:
    app, port, recorded = _grpc_app(root)
    with app.start(), contextlib.ExitStack() as stack:
        app.wait_http(f"{recorded}/_recorded")
        daprd = Daprd(
            root / "logs",
            GRPC_APP_ID,
            app_port=port,
            resources=resources,
            config=config,
            placement=placement.address,
            scheduler=scheduler.address,
            env={"APP_API_TOKEN": APP_TOKEN},
            app_protocol="grpc",
        )
        stack.enter_context(daprd.start())
        daprd.wait_ready()
        yield Target(daprd.url, recorded)


def _sidecar_run(root: Path, target: str, resources: Path) -> tuple[Process, Target]:
    app_id = APPS[target][0]
    app_port, http_port, grpc_port = free_port(), free_port(), free_port()
    args = [sys.executable, "-m", "sidecar", "run", "--app-id", app_id]
    args += ["--app-port", str(app_port), "--dapr-http-port", str(http_port)]
    args += ["--dapr-grpc-port", str(grpc_port)]
    args += ["--resources-path", str(resources), "--home", str(root / "home")]
    args += ["--", sys.executable, str(APP_SCRIPT)]
    env = _base_env(target) | ({"DAPR_API_TOKEN": API_TOKEN} if target == TOKEN else {})
    proc = Process(
        f"sidecar run {app_id}", args, root / "logs" / f"sidecar-{target}.log", env, root
    )
    urls = Target(f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{app_port}")
    return proc, urls._replace(grpc=f"127.0.0.1:{grpc_port}")


@contextlib.contextmanager
def local_runtime(root: Path) -> Iterator[dict[str, Target]]:
    """``sidecar run ... -- <recorder app>`` per target, sharing one runtime home."""
    resources = write_components(root)
    with contextlib.ExitStack() as stack:
        started = [_sidecar_run(root, target, resources) for target in APPS]
        for proc, _ in started:
            stack.enter_context(proc.start())
        for proc, urls in started:
            proc.wait_http(f"{urls.api}/v1.0/healthz", statuses=(204,))
        targets = {target: urls for target, (_, urls) in zip(APPS, started, strict=True)}
        targets[GRPC] = stack.enter_context(_grpc_sidecar_run(root, resources))
        yield targets


@contextlib.contextmanager
def _grpc_sidecar_run(root: Path, resources: Path) -> Iterator[Target]:
    """The gRPC recorder beside ``sidecar run --app-protocol grpc`` (started on its own, as the
    recorder needs a second port)."""
    app, port, recorded = _grpc_app(root)
    http_port = free_port()
    args = [sys.executable, "-m", "sidecar", "run", "--app-id", GRPC_APP_ID]
    args += ["--app-port", str(port), "--app-protocol", "grpc", "--dapr-http-port", str(http_port)]
    args += ["--resources-path", str(resources), "--home", str(root / "home")]
    env = _base_env(MAIN) | {"APP_API_TOKEN": APP_TOKEN}
    sidecar = Process(
        f"sidecar run {GRPC_APP_ID}", args, root / "logs" / "sidecar-grpc.log", env, root
    )
    with app.start(), sidecar.start():
        app.wait_http(f"{recorded}/_recorded")
        api = f"http://127.0.0.1:{http_port}"
        sidecar.wait_http(f"{api}/v1.0/healthz", statuses=(204,))
        yield Target(api, recorded)
