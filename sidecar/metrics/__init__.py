"""Prometheus metrics of one sidecar: daprd's names and labels, and the ``sidecar_`` extensions.

``SidecarMetrics`` holds one sidecar's registry and the calls that record into it;
``ServerMetricsMiddleware`` records the HTTP API's requests; ``metrics_app`` serves the text
exposition on the metrics port; ``LoopStallProbe`` measures how late the event loop runs.
"""

from __future__ import annotations

from ._families import SidecarMetrics
from ._middleware import ServerMetricsMiddleware
from ._paths import metric_path
from ._serve import LoopStallProbe, metrics_app

__all__ = [
    "LoopStallProbe",
    "ServerMetricsMiddleware",
    "SidecarMetrics",
    "metric_path",
    "metrics_app",
]
