"""The HA scenario on the local runtime: two agent replicas (each ``python -m agent`` with its own
``sidecar run`` for app id ``pm-agent``) and the notifier with its sidecar, all on one runtime home
and one ``state.sqlite`` file. The home's registry is the placement (every sidecar hashes actors
over the live hosts it lists; a killed sidecar's row is skipped once its pid is gone) and its
job store the scheduler (each due job or reminder is claimed by one sidecar under a lease), so the
victims are the two agent replicas and the notifier, each an app with its sidecar.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from tests.integration._processes import AppProcess, free_ports
from tests.integration._support import SidecarProcess, write_statestore

from ._ha import AGENT_REPLICAS, HASystem, Unit
from ._system import AGENT, NOTIFIER, System

ACTOR_TYPE = "ProjectManagementAgent"


class LocalApp:
    """One app and its sidecar (``sidecar run``) on fixed ports, as one :class:`Unit`."""

    def __init__(self, system: LocalHASystem, name: str, module: str, env: dict[str, str]):
        http, app = free_ports(2)
        self.url, self.app_url = f"http://127.0.0.1:{http}", f"http://127.0.0.1:{app}"
        self.port = str(http)  # the registry lists this sidecar as 127.0.0.1:<this port>
        extra = ("--resources-path", str(system.resources), "--log-level", "warning")
        app_id = AGENT if module == "agent" else NOTIFIER
        sidecar = SidecarProcess.for_app(
            system.home,
            app_id,
            app,
            *extra,
            log=system.logs / f"{name}-sidecar.log",
            http_port=http,
        )
        proc = AppProcess(module, app, {**env, "DAPR_HTTP_PORT": str(http)}, system.logs / name)
        self.unit = Unit(
            name,
            [(proc, f"{self.app_url}/healthz", 200), (sidecar, f"{self.url}/v1.0/healthz", 204)],
        )


class LocalHASystem(HASystem):
    """:class:`HASystem`'s scenario on the local runtime; victims ``pm-agent-0``, ``pm-agent-1``
    and ``notifier``."""

    def __init__(self, root: Path, *, retry_interval: str = "1s", max_retries: int = 100_000):
        self.root, self.home, self.resources = root, root / "home", root / "resources"
        self.logs, self.db = root / "logs", root / "state.db"
        for folder in (self.home, self.resources, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        write_statestore(self.resources, self.db)
        agent_env = {
            "PM_NOTIFIER_APP_ID": NOTIFIER,
            "PM_JOB_RETRY_INTERVAL": retry_interval,
            "PM_JOB_MAX_RETRIES": str(max_retries),
            "PM_HTTP_TIMEOUT": "10",
        }
        self.agents: list[Any] = [
            LocalApp(self, f"{AGENT}-{i}", "agent", agent_env) for i in range(AGENT_REPLICAS)
        ]
        notifier = LocalApp(self, NOTIFIER, "notifier", {})
        self.agent_url, self.notifier_url = self.agents[0].app_url, notifier.app_url
        self.groups = [[notifier.unit, *self.units()]]
        self.procs: dict[str, Any] = {u.name: u for group in self.groups for u in group}
        self.moves: list[str] = []
        self.assigned_agents: set[str] = set()  # agent ids given a task, for the move check

    async def placement_hosts(self, client: httpx.AsyncClient) -> set[str] | None:
        """The live sidecars the registry lists as hosts of the actor type."""
        return await asyncio.to_thread(self._registry_hosts)

    def _registry_hosts(self) -> set[str] | None:
        from sidecar.registry import pid_alive

        try:
            conn = sqlite3.connect(self.home / "registry.db", timeout=10)
            try:
                rows = conn.execute("SELECT host, port, pid, actor_types FROM sidecars").fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return None
        return {
            f"{host}:{port}"
            for host, port, pid, types in rows
            if ACTOR_TYPE in json.loads(types) and pid_alive(pid)
        }

    def stored_notifications(self) -> list[dict[str, Any]]:
        return System.stored_notifications(self)
