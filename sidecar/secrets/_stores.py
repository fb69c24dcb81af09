"""The local secret stores, as contrib's ``secretstores/local/env`` and ``secretstores/local/file``.

A secret is a name with a map of values: the env store's secret ``X`` is ``{"X": $X}`` (``prefix``
is put before the name; ``APP_API_TOKEN`` and ``DAPR_*`` are never served, an unknown or refused
name reads as ``""``). The file store reads a JSON file once at start: nested objects and arrays
flatten into names joined by ``nestedSeparator`` (default ``:``), each ``{name: value}``; with
``multiValued`` a top-level object is one secret whose keys are its values.
"""

from __future__ import annotations

import json
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Secret = dict[str, str]


class SecretNotFoundError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"secret {name} not found")


class SecretStore(ABC):
    """A loaded secret store: ``get`` one secret (raises ``SecretNotFoundError``), ``bulk`` all."""

    component_type: str

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def get(self, name: str) -> Secret: ...

    @abstractmethod
    def bulk(self) -> dict[str, Secret]: ...


def _allowed(name: str) -> bool:
    upper = name.upper()
    return upper != "APP_API_TOKEN" and not upper.startswith("DAPR_")


class EnvSecretStore(SecretStore):
    component_type = "secretstores.local.env"

    def __init__(self, name: str, prefix: str = "", environ: Mapping[str, str] | None = None):
        super().__init__(name)
        self.prefix = prefix
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> Secret:
        key = self.prefix + name
        if not _allowed(key):
            log.warning("Access to env var %s is forbidden", name)
            return {name: ""}
        return {name: self._environ.get(key, "")}

    def bulk(self) -> dict[str, Secret]:
        out: dict[str, Secret] = {}
        for key, value in self._environ.items():
            if self.prefix and (len(key) <= len(self.prefix) or not key.startswith(self.prefix)):
                continue
            if _allowed(key):
                short = key[len(self.prefix) :]
                out[short] = {short: value}
        return out


class FileSecretStore(SecretStore):
    component_type = "secretstores.local.file"

    def __init__(self, name: str, path: Path, separator: str = ":", multi: bool = False):
        super().__init__(name)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"failed to read secrets file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"secrets file {path} must hold a JSON object")
        self._secrets: dict[str, Secret] = {}
        for key, value in data.items():
            if multi and isinstance(value, dict):
                self._secrets[key] = dict(_flatten(value, "", separator))
            elif multi:
                self._secrets[key] = {key: _text(value)}
        if not multi:
            self._secrets = {k: {k: v} for k, v in _flatten(data, "", separator)}

    def get(self, name: str) -> Secret:
        if name not in self._secrets:
            raise SecretNotFoundError(name)
        return dict(self._secrets[name])

    def bulk(self) -> dict[str, Secret]:
        return {k: dict(v) for k, v in self._secrets.items()}


def _flatten(value: Any, path: str, sep: str) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return [(path, _text(value))]
    out: list[tuple[str, str]] = []
    for key, inner in items:
        out += _flatten(inner, f"{path}{sep}{key}" if path else str(key), sep)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
