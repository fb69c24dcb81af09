"""The real-Dapr side of the runtime switch (``--runtime dapr``): placement and scheduler started
once per test session, and :class:`DaprdSidecar`, a real ``daprd`` with the interface the tests
use from :class:`SidecarProcess` (``url``, ``http_port``, ``start``, ``stop``, ``kill9``,
``wait_healthy``, ``until``, ``output``, ``describe``).

Every runtime home gets a Dapr namespace of its own (``NAMESPACE``), so systems that run at the
same time against the one placement and scheduler never see each other's actors or jobs; the
apps of one home find each other through a sqlite name-resolution database in that home.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import httpx

from sidecar._runner import free_port

from ..realdapr._procs import DaprdFlags, Placement, Scheduler, write_config
from ._processes import WAIT, Process, scrubbed_env

_NAMESPACES = itertools.count(1)


class ControlPlane:
    """Placement and scheduler, started on first use and stopped by :func:`stop_control_plane`."""

    current: ControlPlane | None = None

    def __init__(self, root: Path) -> None:
        self.placement = Placement(root / "logs")
        self.scheduler = Scheduler(root / "logs", root / "etcd")

    @classmethod
    def get(cls, root: Path) -> ControlPlane:
        if cls.current is None:
            plane = cls(root)
            try:
                plane.placement.start()
                plane.scheduler.start()
                plane.placement.wait_ready()
                plane.scheduler.wait_ready()
            except BaseException:
                plane.stop()
                raise
            cls.current = plane
        return cls.current

    def stop(self) -> None:
        self.scheduler.stop()
        self.placement.stop()


def stop_control_plane() -> None:
    """Stop the shared placement and scheduler, if a test started them (at the end of the run)."""
    if ControlPlane.current is not None:
        ControlPlane.current.stop()
        ControlPlane.current = None


def _home_setup(home: Path) -> tuple[Path, str]:
    """The Configuration (sqlite name resolution in ``home``) and the namespace of ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    marker = home / "namespace"
    if not marker.exists():
        marker.write_text(f"it{next(_NAMESPACES)}")
    return write_config(home / "config.yaml", home / "names.db"), marker.read_text()


class DaprdSidecar(Process):
    """``daprd`` for one app, on ports fixed at construction (a restart keeps them)."""

    def __init__(
        self,
        home: Path,
        app_id: str,
        app_port: int | None,
        *,
        resources: Path,
        log: Path,
        env: Mapping[str, str] | None = None,
        http_port: int | None = None,
        app_protocol: str = "http",
    ) -> None:
        plane = ControlPlane.get(home.parent / "control-plane")
        config, namespace = _home_setup(home)
        resources.mkdir(parents=True, exist_ok=True)
        flags = DaprdFlags(
            app_id,
            resources,
            config,
            plane.scheduler.address,
            plane.placement.address,
            app_port,
            app_protocol,
            http_port=http_port or free_port(),
        )
        base = scrubbed_env("DAPR_", "APP_", "NAMESPACE") | {"NAMESPACE": namespace}
        super().__init__(f"{app_id}-daprd", flags.args(), log=log, env=base | dict(env or {}))
        self.http_port, self.grpc_port, self.url = flags.http_port, flags.grpc_port, flags.url

    @classmethod
    def for_app(
        cls,
        home: Path,
        app_id: str,
        app_port: int | None,
        *,
        resources: Path | None = None,
        log: Path | None = None,
        env: Mapping[str, str] | None = None,
        app_protocol: str = "http",
    ) -> DaprdSidecar:
        """As :meth:`SidecarProcess.for_app`: components from ``resources`` (default: an empty
        folder in ``home``), the log beside ``home`` unless given."""
        resources = resources or home / "resources"
        log = log or home.parent / f"{app_id}-daprd.log"
        return cls(
            home, app_id, app_port, resources=resources, log=log, env=env, app_protocol=app_protocol
        )

    def start(self) -> DaprdSidecar:
        super().start()
        return self

    async def wait_healthy(
        self, client: httpx.AsyncClient, path: str = "/v1.0/healthz", timeout: float = WAIT
    ) -> None:
        await self.wait_http(client, self.url + path, 204, timeout)
