"""The app's actor configuration, read once from ``GET /dapr/config`` (dapr-sidecar.md §3.1).

Per-type entries in ``entitiesConfig`` replace the top level for their types; they do not merge
with it: an entry without ``actorIdleTimeout`` gets the default (60m), without ``reentrancy`` it
is not reentrant.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..timefmt import TimeFormatError, parse_go_duration

log = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT = 3600.0
DEFAULT_DRAIN_TIMEOUT = 2.0
DEFAULT_MAX_STACK_DEPTH = 32


class ActorConfigError(ValueError):
    """The top-level configuration cannot be used: daprd registers no actor types then."""


@dataclass(frozen=True)
class TypeConfig:
    """How one hosted actor type behaves."""

    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
    reentrant: bool = False
    max_stack_depth: int = DEFAULT_MAX_STACK_DEPTH


@dataclass(frozen=True)
class AppActorConfig:
    """The hosted types, in the order the app listed them, and their settings."""

    types: dict[str, TypeConfig] = field(default_factory=dict)

    @property
    def entities(self) -> list[str]:
        return list(self.types)

    def of(self, actor_type: str) -> TypeConfig:
        return self.types.get(actor_type, TypeConfig())


def parse_app_config(raw: Any) -> AppActorConfig:
    """Turn the app's JSON answer into settings; raises ActorConfigError for a bad top level."""
    if not isinstance(raw, dict):
        return AppActorConfig()
    entities = [e for e in raw.get("entities") or [] if isinstance(e, str)]
    base = _type_config(raw, strict=True)
    types = dict.fromkeys(entities, base)
    for entry in raw.get("entitiesConfig") or []:
        if not isinstance(entry, dict):
            continue
        own = _type_config(entry, strict=False)
        for name in entry.get("entities") or []:
            if name in types:
                types[name] = own
            else:
                log.warning("entitiesConfig names actor type %r, which is not in entities", name)
    return AppActorConfig(types)


def _type_config(raw: dict[str, Any], *, strict: bool) -> TypeConfig:
    reentrancy = raw.get("reentrancy") if isinstance(raw.get("reentrancy"), dict) else {}
    assert isinstance(reentrancy, dict)
    depth = reentrancy.get("maxStackDepth")
    return TypeConfig(
        idle_timeout=_duration(raw, "actorIdleTimeout", DEFAULT_IDLE_TIMEOUT, strict),
        drain_timeout=_duration(raw, "drainOngoingCallTimeout", DEFAULT_DRAIN_TIMEOUT, strict),
        reentrant=reentrancy.get("enabled") is True,
        max_stack_depth=depth if isinstance(depth, int) and depth > 0 else DEFAULT_MAX_STACK_DEPTH,
    )


def _duration(raw: dict[str, Any], key: str, default: float, strict: bool) -> float:
    text = raw.get(key)
    if not isinstance(text, str) or text == "":
        return default
    try:
        seconds = parse_go_duration(text).total_seconds()
    except TimeFormatError as exc:
        if strict:
            raise ActorConfigError(f"failed to parse {key} {text!r}: {exc}") from exc
        log.warning("ignoring unparsable %s %r: %s", key, text, exc)
        return default
    return seconds if seconds > 0 else default
