"""A Dapr ``Configuration`` file (``--config``, ``configFilePath``, ``~/.dapr/config.yaml``).

Applied: ``spec.features`` (the enabled ones are the metadata's ``enabledFeatures``) and
``spec.nameResolution`` with ``mdns`` or ``sqlite`` (the local registry plays both). Accepted with
one warning each: tracing that samples (no spans are exported), metrics (no metrics server),
another name resolver, secret scopes (no secret stores), and unknown fields. Refused, because
running without them would let calls or requests through that daprd would refuse, or skip what
the app relies on: ``accessControl``, ``api`` allow/deny lists, HTTP pipelines (middleware).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
    "metric": "no metrics are served",
    "metrics": "no metrics are served",
    "secrets": "there are no secret stores",
    "mtls": "sidecars of one machine talk plain HTTP",
    "components": "every supported component type is allowed",
    "logging": "the sidecar logs at --log-level",
}


class ConfigFileError(Exception):
    """A configuration file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class DaprConfig:
    name: str = BUILT_IN_NAME
    features: tuple[str, ...] = ()  # enabled preview features
    source: Path | None = None  # None: the built-in default


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
    return DaprConfig(name, _features(path, spec.get("features")), path)


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path}: invalid YAML: {exc}") from exc
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
    if key == "tracing":
        _tracing(path, _mapping(path, "spec.tracing", value))
    elif key == "nameResolution":
        _name_resolution(path, _mapping(path, "spec.nameResolution", value))
    elif key in _WARNED:
        if _enabled(value):
            log.warning("%s: spec.%s is ignored: %s", path, key, _WARNED[key])
    else:
        log.warning("%s: spec.%s is unknown and ignored", path, key)


def _enabled(value: Any) -> bool:
    return bool(value) and not (isinstance(value, dict) and value.get("enabled") is False)


def _tracing(path: Path, tracing: Mapping[str, Any]) -> None:
    rate = str(tracing.get("samplingRate") or "0")
    if rate not in ("0", "0.0"):
        log.warning(
            "%s: spec.tracing is ignored: spans are not exported (the trace context is still"
            " passed on as daprd does with tracing off)",
            path,
        )


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
