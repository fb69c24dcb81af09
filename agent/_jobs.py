"""The Dapr Jobs API (``/{version}/jobs/{name}``) over the shared sidecar client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from actors import JobRequest, format_instant

from ._settings import AgentSettings
from ._sidecar import Sidecar


def failure_policy(interval: timedelta, max_retries: int) -> dict[str, Any]:
    """A constant policy; the interval in protobuf Duration form (``"5s"``, ``"0.5s"``)."""
    seconds = f"{interval.total_seconds():g}s"
    return {"constant": {"interval": seconds, "maxRetries": max_retries}}


class JobsClient:
    """Creates, reads and deletes jobs; implements the actor's ``JobScheduler`` port."""

    def __init__(self, sidecar: Sidecar, settings: AgentSettings) -> None:
        self._sidecar = sidecar
        self._version = settings.jobs_api_version.value
        self._policy = failure_policy(settings.job_retry_interval, settings.job_max_retries)

    async def schedule(self, job: JobRequest) -> None:
        body = {
            "dueTime": format_instant(job.due_time),
            "data": job.data,
            "overwrite": True,
            "failurePolicy": self._policy,
        }
        await self.put(job.name, body)

    async def put(self, name: str, body: dict[str, Any]) -> None:
        await self._sidecar.request("POST", self._path(name), json_body=body)

    async def get(self, name: str) -> dict[str, Any]:
        response = await self._sidecar.request("GET", self._path(name))
        return response.json()  # type: ignore[no-any-return]

    async def delete(self, name: str) -> None:
        await self._sidecar.request("DELETE", self._path(name))

    def _path(self, name: str) -> str:
        return f"{self._version}/jobs/{name}"
