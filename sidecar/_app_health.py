"""App health checks, as daprd's ``--enable-app-health-check`` (dapr-sidecar.md §3.5).

Every ``interval`` seconds the probe sends ``GET {path}`` to the app (no ``dapr-api-token``) with
a ``timeout``; a 2xx answer is healthy. After ``threshold`` failures in a row the app is
unhealthy; one success makes it healthy again. While it is unhealthy every call the sidecar makes
to the app fails at once with "app is not in a healthy state" and no job or reminder is delivered:
they wait in the store (none is spent on retries) until the app is healthy again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthSettings:
    path: str = "/healthz"
    interval: float = 5.0
    timeout: float = 0.5
    threshold: int = 3


class AppHealthProbe:
    """Probes the app and reports each change of health through ``on_change(healthy)``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        settings: HealthSettings,
        on_change: Callable[[bool], None],
    ) -> None:
        self.client = client
        self.url = base_url + "/" + settings.path.lstrip("/")
        self.settings = settings
        self.on_change = on_change
        self.healthy = True
        self.failures = 0

    async def probe_once(self) -> bool:
        try:
            resp = await self.client.get(self.url, timeout=self.settings.timeout)
        except httpx.HTTPError:
            return False
        return 200 <= resp.status_code < 300

    def record(self, ok: bool) -> None:
        """Count one probe's result; report a change of health."""
        self.failures = 0 if ok else self.failures + 1
        now_healthy = ok or (self.healthy and self.failures < self.settings.threshold)
        if now_healthy != self.healthy:
            self.healthy = now_healthy
            log.warning("app %s is %s", self.url, "healthy" if ok else "not healthy")
            self.on_change(now_healthy)

    async def run(self) -> None:
        while True:
            self.record(await self.probe_once())
            await asyncio.sleep(self.settings.interval)
