"""The parts of a Dapr ``Configuration`` file this runtime reads: ``spec.tracing``,
``spec.metrics.enabled`` and ``spec.metrics.http.increasedCardinality`` (daprd's pkg/config).

``tracing.samplingRate`` is a string holding a number from 0 to 1 (daprd: "0" or absent turns
tracing off); ``tracing.otel`` names the OTLP collector (``endpointAddress``, ``protocol`` http or
grpc, ``isSecure``). Only OTLP over HTTP is exported; other exporters (zipkin, OTLP over gRPC)
still sample and propagate but export nothing (logged at start).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .components import ComponentError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TracingSpec:
    """Tracing as a Configuration asks for it: a sampling rate, and where to export spans."""

    sampling_rate: float
    otlp_endpoint: str | None = None  # an http(s) URL of the collector's /v1/traces

    @property
    def enabled(self) -> bool:
        return self.sampling_rate > 0


@dataclass(frozen=True)
class DaprConfiguration:
    tracing: TracingSpec | None = None
    metrics_enabled: bool = True
    increased_cardinality: bool = True  # metrics.http.increasedCardinality: path labels


def load_configuration(path: Path | None) -> DaprConfiguration:
    """The Configuration at ``path`` (none: the defaults); ComponentError names a bad file."""
    if path is None or not path.exists():
        return DaprConfiguration()
    try:
        doc = yaml.safe_load(path.read_text()) or {}
        spec = doc.get("spec") or {}
        metrics = spec.get("metrics") or {}
        return DaprConfiguration(
            _tracing(spec.get("tracing")), _flag(metrics, "enabled"), _cardinality(metrics)
        )
    except (yaml.YAMLError, AttributeError, ValueError, TypeError) as exc:
        raise ComponentError(f"{path}: invalid Configuration: {exc}") from exc


def _tracing(section: Any) -> TracingSpec | None:
    if not section:
        return None
    rate = float(str(section.get("samplingRate") or "0"))
    if not 0 <= rate <= 1:
        raise ValueError(f"tracing.samplingRate must be between 0 and 1, not {rate}")
    if rate == 0:
        return None
    return TracingSpec(rate, _otlp_endpoint(section))


def _otlp_endpoint(section: dict[str, Any]) -> str | None:
    otel = section.get("otel") or {}
    address = str(otel.get("endpointAddress") or "")
    if not address or str(otel.get("protocol") or "grpc").lower() != "http":
        if address or section.get("zipkin"):
            log.info("tracing: spans are only exported over OTLP/HTTP; this exporter is skipped")
        return None
    if "://" not in address:
        address = ("https://" if otel.get("isSecure") else "http://") + address
    return address.rstrip("/") + ("" if address.endswith("/v1/traces") else "/v1/traces")


def _flag(section: dict[str, Any], name: str) -> bool:
    """A boolean that defaults to true; false only when set to false."""
    return str(section.get(name, True)).lower() not in ("false", "0")


def _cardinality(metrics: dict[str, Any]) -> bool:
    return _flag(metrics.get("http") or {}, "increasedCardinality")
