"""Load Dapr resource YAML (Component, Subscription) from resources paths, as daprd does."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)


class ComponentError(Exception):
    """A resource file that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class SecretRef:
    """A metadata value to take from a secret store: secret ``name``, its value ``key``."""

    name: str
    key: str


@dataclass(frozen=True, kw_only=True)
class Component:
    """A ``kind: Component`` resource: ``spec.metadata`` as strings, and the file it is from.

    ``secret_refs`` are the metadata items given as ``secretKeyRef``, still to be resolved from
    the secret store ``auth_secret_store`` (their ``metadata`` value is ``""`` until then).
    ``version`` defaults to ``v1``; ``spec_version`` is as written (the metadata API lists it).
    """

    name: str
    type: str
    version: str
    metadata: dict[str, str]
    scopes: tuple[str, ...]
    source: Path
    secret_refs: dict[str, SecretRef] = field(default_factory=dict)
    auth_secret_store: str = ""
    spec_version: str = ""


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """A declarative ``kind: Subscription`` resource; ``routes`` as written (or the ``route``)."""

    name: str
    pubsubname: str
    topic: str
    routes: dict[str, Any]  # {"rules": [{"match","path"}], "default": "/path"}
    dead_letter_topic: str
    metadata: dict[str, str]
    scopes: tuple[str, ...]
    bulk_subscribe: dict[str, Any] = field(default_factory=dict)  # spec.bulkSubscribe as written


@dataclass
class Resources:
    """The resources in scope for one app."""

    components: list[Component] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)


def init_failure(comp: Component, error: Exception) -> ComponentError:
    """daprd's fatal component-init error, prefixed with the component's file."""
    what = f"{comp.name} ({comp.type}/{comp.version})"
    return ComponentError(
        f"{comp.source}: process component {comp.name} error: [INIT_COMPONENT_FAILURE]: "
        f"initialization error occurred for {what}: {error}"
    )


def load_resources(paths: Iterable[Path], app_id: str) -> Resources:
    """Every Component and Subscription in the given folders that is in scope for ``app_id``."""
    out = Resources()
    for folder in paths:
        for path in _yaml_files(folder):
            for doc in _documents(path):
                _add(out, doc, path, app_id)
    return out


def default_components(home: Path) -> list[Component]:
    """What ``dapr init`` puts in ``~/.dapr/components``, for a run without resources: a durable
    ``statestore`` that also holds actor state (``state.sqlite`` in the runtime home, where Dapr
    uses Redis) and a ``pubsub`` (``pubsub.in-memory``, where Dapr uses Redis)."""
    source = Path("<built-in>")
    state = {"connectionString": str(home / "state.db"), "actorStateStore": "true"}
    log.info(
        "no resources path and no ~/.dapr/components: using built-in components statestore"
        " (state.sqlite, %s, actorStateStore) and pubsub (pubsub.in-memory), as dapr init makes",
        state["connectionString"],
    )
    return [
        Component(name="statestore", type="state.sqlite", version="v1", metadata=state,
                  scopes=(), source=source),
        Component(name="pubsub", type="pubsub.in-memory", version="v1", metadata={},
                  scopes=(), source=source),
    ]  # fmt: skip


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ComponentError(f"resources path {folder} is not a directory")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as exc:
        raise ComponentError(f"{path}: invalid YAML: {exc}") from exc
    for doc in docs:
        if not isinstance(doc, dict):
            raise ComponentError(f"{path}: a resource must be a YAML mapping")
    return docs


def _add(out: Resources, doc: dict[str, Any], path: Path, app_id: str) -> None:
    scopes = tuple(str(s) for s in doc.get("scopes") or ())
    if scopes and app_id not in scopes:
        return
    kind = doc.get("kind")
    if kind == "Component":
        out.components.append(_component(doc, path, scopes))
    elif kind == "Subscription":
        out.subscriptions.append(_subscription(doc, path, scopes))
    else:
        log.info("%s: skipping resource of kind %r", path, kind)


def _name(doc: dict[str, Any], path: Path) -> str:
    name = (doc.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ComponentError(f"{path}: metadata.name is required")
    return name


def _component(doc: dict[str, Any], path: Path, scopes: tuple[str, ...]) -> Component:
    spec = doc.get("spec") or {}
    ctype = spec.get("type")
    if not isinstance(ctype, str) or not ctype:
        raise ComponentError(f"{path}: spec.type is required")
    metadata, refs = _metadata(spec.get("metadata"), path)
    auth = doc.get("auth") or {}
    return Component(
        name=_name(doc, path),
        type=ctype,
        version=str(spec.get("version") or "v1"),
        spec_version=str(spec.get("version") or ""),
        metadata=metadata,
        scopes=scopes,
        source=path,
        secret_refs=refs,
        auth_secret_store=str(auth.get("secretStore") or "") if isinstance(auth, dict) else "",
    )


def _metadata(items: Any, path: Path) -> tuple[dict[str, str], dict[str, SecretRef]]:
    """Values as strings (``envRef`` read from the environment, as daprd does), and the
    ``secretKeyRef`` items (their ``key`` defaults to the secret's name)."""
    out: dict[str, str] = {}
    refs: dict[str, SecretRef] = {}
    for item in items or ():
        if not isinstance(item, dict) or "name" not in item:
            raise ComponentError(f"{path}: each spec.metadata entry needs a name")
        name, ref = str(item["name"]), item.get("secretKeyRef")
        out[name] = _text(item.get("value", ""))
        if isinstance(ref, dict) and ref.get("name"):
            refs[name] = SecretRef(str(ref["name"]), str(ref.get("key") or ref["name"]))
        elif item.get("envRef") and "value" not in item:
            out[name] = _env_value(str(item["envRef"]), path)
    return out, refs


def _env_value(var: str, path: Path) -> str:
    upper = var.upper()
    if upper == "APP_API_TOKEN" or upper.startswith("DAPR_") or " " in var:
        log.warning("%s references an env variable that isn't allowed: %s", path, var)
        return ""
    return os.environ.get(var, "")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _subscription(doc: dict[str, Any], path: Path, scopes: tuple[str, ...]) -> Subscription:
    spec = doc.get("spec") or {}
    routes = spec.get("routes") or {}
    if "route" in spec and not routes:
        routes = {"default": spec["route"]}
    pubsub, topic = spec.get("pubsubname"), spec.get("topic")
    if not pubsub or not topic:
        raise ComponentError(f"{path}: a Subscription needs spec.pubsubname and spec.topic")
    return Subscription(
        name=_name(doc, path),
        pubsubname=str(pubsub),
        topic=str(topic),
        routes=dict(routes),
        dead_letter_topic=str(spec.get("deadLetterTopic") or ""),
        metadata={str(k): _text(v) for k, v in (spec.get("metadata") or {}).items()},
        scopes=scopes,
        bulk_subscribe=dict(spec.get("bulkSubscribe") or {}),
    )
