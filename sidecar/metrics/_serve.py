"""The metrics endpoint (``GET /metrics`` on the metrics port) and the event-loop stall probe."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._families import SidecarMetrics

TEXT_0_0_4 = "text/plain; version=0.0.4; charset=utf-8"  # what generate_latest writes
PROBE_INTERVAL = 0.25  # seconds between the stall probe's wake-ups


def metrics_app(metrics: SidecarMetrics) -> Starlette:
    """The ASGI app of the metrics port: Prometheus text at ``/metrics``, as daprd serves it."""

    async def scrape(request: Request) -> Response:
        return Response(await metrics.render(), media_type=TEXT_0_0_4)

    return Starlette(routes=[Route("/metrics", scrape, methods=["GET"])])


class LoopStallProbe:
    """Asks the loop to wake it every ``interval`` seconds and records how much later it woke:
    the time other work held the loop (a blocking call, a long synchronous step)."""

    def __init__(self, metrics: SidecarMetrics, interval: float = PROBE_INTERVAL) -> None:
        self.metrics = metrics
        self.interval = interval

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.metrics.stalled(max(0.0, loop.time() - asked))
