"""``GET /metrics`` for an app: Prometheus text (format 0.0.4) of the app's own registry.

Each app object has a registry of its own (tests build many apps in one process), so its
families never clash with another app's.
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, generate_latest
from starlette.responses import Response

TEXT_0_0_4 = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_S = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


def serve_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    """Add ``GET /metrics`` (left out of the OpenAPI schema, open like ``/healthz``)."""

    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=TEXT_0_0_4)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
