"""App health checks, as daprd's ``--enable-app-health-check`` (dapr-sidecar.md §3.5).

Every ``interval`` seconds the probe asks the app channel (``GET {path}`` over HTTP, no
``dapr-api-token``; the ``AppCallbackHealthCheck/HealthCheck`` call over gRPC) with a
``timeout``; a 2xx answer (gRPC: OK) is healthy. After ``threshold`` failures in a row the app is
unhealthy; one success makes it healthy again. While it is unhealthy every call the sidecar makes
to the app fails at once with "app is not in a healthy state" and no job or reminder is delivered:
they wait in the store (none is spent on retries) until the app is healthy again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
        probe: Callable[[str, float], Awaitable[bool]],
        name: str,
        settings: HealthSettings,
        on_change: Callable[[bool], None],
    ) -> None:
        self.probe = probe  # the channel's probe_health(path, timeout)
        self.name = name
        self.settings = settings
        self.on_change = on_change
        self.healthy = True
        self.failures = 0

    async def probe_once(self) -> bool:
        return await self.probe(self.settings.path, self.settings.timeout)

    def record(self, ok: bool) -> None:
        """Count one probe's result; report a change of health."""
        self.failures = 0 if ok else self.failures + 1
        now_healthy = ok or (self.healthy and self.failures < self.settings.threshold)
        if now_healthy != self.healthy:
            self.healthy = now_healthy
            log.warning("app %s is %s", self.name, "healthy" if ok else "not healthy")
            self.on_change(now_healthy)

    async def run(self) -> None:
        while True:
            self.record(await self.probe_once())
            await asyncio.sleep(self.settings.interval)
