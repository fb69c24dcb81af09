"""A Dapr ``Configuration`` file (``--config``, ``configFilePath``, ``~/.dapr/config.yaml``).

Applied: ``spec.features`` (the enabled ones are the metadata's ``enabledFeatures``),
``spec.nameResolution`` with ``mdns`` or ``sqlite`` (the local registry plays both),
``spec.tracing`` and ``spec.metrics.enabled`` / ``spec.metrics.http.increasedCardinality`` (as
daprd's pkg/config). ``tracing.samplingRate`` is a string holding a number from 0 to 1 ("0" or
absent: tracing off); ``tracing.otel`` names the OTLP collector (``endpointAddress``, ``protocol``
http or grpc, ``isSecure``). Only OTLP over HTTP is exported; other exporters (zipkin, OTLP over
gRPC) still sample and propagate but export nothing (logged at start). Accepted with one warning
each: another name resolver, secret scopes, and unknown fields. Refused, because
running without them would let calls or requests through that daprd would refuse, or skip what
the app relies on: ``accessControl``, ``api`` allow/deny lists, HTTP pipelines (middleware).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _yamlfile
from .components import ComponentError

log = logging.getLogger(__name__)
BUILT_IN_NAME = "daprConfig"  # the name `dapr init` gives the default configuration
_LOCAL_RESOLVERS = ("mdns", "sqlite")
_REFUSED = {
    "accessControl": "invocation access control is not enforced here",
    "api": "API allow and deny lists are not enforced here",
    "httpPipeline": "HTTP middleware is not run here",
    "appHttpPipeline": "HTTP middleware is not run here",
}
_WARNED = {
    "secrets": "secret scopes are not enforced",
    "mtls": "sidecars of one machine talk plain HTTP",
    "components": "every supported component type is allowed",
    "logging": "the sidecar logs at --log-level",
}


class ConfigFileError(ComponentError):
    """A configuration file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class TracingSpec:
    """Tracing as a Configuration asks for it: a sampling rate, and where to export spans."""

    sampling_rate: float
    otlp_endpoint: str | None = None  # an http(s) URL of the collector's /v1/traces

    @property
    def enabled(self) -> bool:
        return self.sampling_rate > 0


@dataclass(frozen=True)
class DaprConfig:
    name: str = BUILT_IN_NAME
    features: tuple[str, ...] = ()  # enabled preview features
    source: Path | None = None  # None: the built-in default
    tracing: TracingSpec | None = None  # None: tracing off
    metrics_enabled: bool = True
    increased_cardinality: bool = True  # metrics.http.increasedCardinality: path labels


def load_config(path: Path | None) -> DaprConfig:
    """The configuration in ``path``; the built-in default (empty spec) for None."""
    if path is None:
        log.info(
            "no --config and no ~/.dapr/config.yaml: using the built-in configuration %s"
            " (an empty spec, as dapr init --slim writes it)",
            BUILT_IN_NAME,
        )
        return DaprConfig()
    doc = _read(path)
    spec = _mapping(path, "spec", doc.get("spec"))
    for key in spec:
        _check(path, key, spec[key])
    name = str((doc.get("metadata") or {}).get("name") or "")
    metrics = _mapping(path, "spec.metrics", spec.get("metrics"))
    try:
        tracing = _tracing_spec(spec.get("tracing"))
        return DaprConfig(
            name,
            _features(path, spec.get("features")),
            path,
            tracing,
            _flag(metrics, "enabled"),
            _flag(metrics.get("http") or {}, "increasedCardinality"),
        )
    except (AttributeError, ValueError, TypeError) as exc:
        raise ConfigFileError(f"{path}: invalid Configuration: {exc}") from exc


def _read(path: Path) -> dict[str, Any]:
    doc = _yamlfile.load(path, ConfigFileError, "invalid Configuration: invalid YAML")
    if not isinstance(doc, dict) or doc.get("kind") != "Configuration":
        raise ConfigFileError(f"{path}: not a Dapr Configuration (kind: Configuration)")
    return doc


def _mapping(path: Path, where: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigFileError(f"{path}: {where}: expected a mapping, got {value!r}")
    return value


def _check(path: Path, key: str, value: Any) -> None:
    if key in _REFUSED and value:
        raise ConfigFileError(f"{path}: spec.{key}: not supported: {_REFUSED[key]}")
    if key == "features":
        return
    if key in ("tracing", "metrics", "metric"):
        return
    if key == "nameResolution":
        _name_resolution(path, _mapping(path, "spec.nameResolution", value))
    elif key in _WARNED:
        if _enabled(value):
            log.warning("%s: spec.%s is ignored: %s", path, key, _WARNED[key])
    else:
        log.warning("%s: spec.%s is unknown and ignored", path, key)


def _enabled(value: Any) -> bool:
    return bool(value) and not (isinstance(value, dict) and value.get("enabled") is False)


def _name_resolution(path: Path, resolution: Mapping[str, Any]) -> None:
    component = str(resolution.get("component") or "mdns").lower()
    if component not in _LOCAL_RESOLVERS:
        log.warning(
            "%s: spec.nameResolution %s is ignored: apps are found through the local registry",
            path,
            component,
        )


def _features(path: Path, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(f, dict) and "name" in f for f in raw):
        raise ConfigFileError(f"{path}: spec.features: expected a list of {{name, enabled}}")
    return tuple(str(f["name"]) for f in raw if f.get("enabled") in (True, "true"))


def _tracing_spec(section: Any) -> TracingSpec | None:
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


def _flag(section: Mapping[str, Any], name: str) -> bool:
    """A boolean that defaults to true; false only when set to false."""
    return str(section.get(name, True)).lower() not in ("false", "0")
