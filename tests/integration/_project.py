"""A project folder run the way a user runs it: ``sidecar run -f <folder>`` with a ``dapr.yaml``
that starts the real agent and notifier, each with its sidecar, all under one runner process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ._processes import SidecarProcess, free_ports
from ._support import write_statestore

RUN_FILE = """\
version: 1
common:
  resourcesPaths: [./components]
apps:
  - appID: pm-agent
    appDirPath: .
    appPort: {agent}
    daprHTTPPort: {agent_http}
    command: ["{python}", "-m", "agent"]
    env:
      DAPR_JOBS_API_VERSION: v1.0-alpha1
      PM_NOTIFIER_APP_ID: notifier
      PM_JOB_RETRY_INTERVAL: 1s
  - appID: notifier
    appDirPath: .
    appPort: {notifier}
    daprHTTPPort: {notifier_http}
    command: ["{python}", "-m", "notifier"]
"""


class Project:
    """``folder`` holding ``dapr.yaml`` and ``components/``, on free ports, and its runner."""

    def __init__(self, folder: Path, python: str, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        agent, agent_http, notifier, notifier_http = free_ports(4)
        self.agent_url = f"http://127.0.0.1:{agent}"
        self.notifier_url = f"http://127.0.0.1:{notifier}"
        self.sidecar_urls = [f"http://127.0.0.1:{p}" for p in (agent_http, notifier_http)]
        folder.mkdir(parents=True, exist_ok=True)
        ports = {"agent": agent, "agent_http": agent_http, "notifier": notifier}
        text = RUN_FILE.format(python=python, notifier_http=notifier_http, **ports)
        (folder / "dapr.yaml").write_text(text)
        write_statestore(folder / "components", folder / ".dapr" / "state.db")
        logs = folder.parent / f"{folder.name}-runner"
        self.runner = SidecarProcess(
            ["-f", str(folder)],
            log=logs / "stdout.log",
            stderr_log=logs / "stderr.log",
            name=f"runner of {folder.name}",
            cwd=folder,
            env=env,
        )

    async def start(self, client: httpx.AsyncClient) -> Project:
        self.runner.start()
        for app in (self.agent_url, self.notifier_url):
            await self.runner.wait_http(client, f"{app}/healthz", 200)
        for sidecar in self.sidecar_urls:
            await self.runner.wait_http(client, f"{sidecar}/v1.0/healthz", 204)
        return self

    async def assign(self, client: httpx.AsyncClient, agent_id: str, task: dict[str, Any]) -> None:
        response = await client.post(f"{self.agent_url}/agents/{agent_id}/tasks", json=task)
        assert response.status_code == 201, f"{response.text}\n{self.runner.describe()}"

    async def notifications(self, client: httpx.AsyncClient, agent_id: str) -> list[str]:
        """Ids of the notifications this project's notifier stored for ``agent_id``."""
        url = f"{self.notifier_url}/notifications"
        response = await client.get(url, params={"agent_id": agent_id})
        assert response.status_code == 200, response.text
        return sorted(n["id"] for n in response.json()["notifications"])
