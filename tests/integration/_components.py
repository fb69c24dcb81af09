"""The component YAML the tests write, built as data: the SQLite ``statestore`` (the actor state
store) and, where a test needs them, an in-memory ``pubsub`` and an in-memory state store."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


def component(name: str, type_: str, *metadata: Mapping[str, Any], **top: Any) -> dict[str, Any]:
    """One Dapr component (version ``v1``); ``top``: keys beside ``spec`` (``auth``, ``scopes``)."""
    spec = {"type": type_, "version": "v1", "metadata": [dict(m) for m in metadata]}
    head = {"apiVersion": "dapr.io/v1alpha1", "kind": "Component", "metadata": {"name": name}}
    return head | {"spec": spec} | top


def sqlite_statestore(
    connection: Mapping[str, Any], *, busy_timeout: bool = True, actor_store: bool = True
) -> dict[str, Any]:
    """``statestore`` of type ``state.sqlite``; ``connection``: how ``connectionString`` is given
    (``{"value": path}``, ``{"secretKeyRef": ...}``, ``{"envRef": ...}``)."""
    metadata: list[Mapping[str, Any]] = [{"name": "connectionString", **connection}]
    if busy_timeout:
        metadata.append({"name": "busyTimeout", "value": "5s"})
    if actor_store:
        metadata.append({"name": "actorStateStore", "value": "true"})
    return component("statestore", "state.sqlite", *metadata)


def dump(*docs: Mapping[str, Any]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)


def write_statestore(
    resources: Path,
    db_path: Path,
    *,
    busy_timeout: bool = True,
    pubsub: bool = False,
    memstore: bool = False,
) -> Path:
    """A ``state.sqlite`` component named ``statestore`` (actor state store) at ``db_path``,
    with SQLite's ``busyTimeout`` of 5 s unless told not to; ``memstore`` adds a ``state.in-memory``
    named ``memstore``, ``pubsub`` a ``pubsub.in-memory`` named ``pubsub``, in the same file."""
    resources.mkdir(parents=True, exist_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    docs = [sqlite_statestore({"value": str(db_path.resolve())}, busy_timeout=busy_timeout)]
    docs += [component("memstore", "state.in-memory")] if memstore else []
    docs += [component("pubsub", "pubsub.in-memory")] if pubsub else []
    path = resources / "statestore.yaml"
    path.write_text(dump(*docs))
    # Switching a new file to WAL takes an exclusive lock that SQLite refuses at once, busy
    # timeout or not; two daprds opening a fresh file together fail their start on it.
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    return path
