"""Which channel reaches which recipient: a routing table read once from the settings.

``NOTIFIER_ROUTES`` is a JSON object from recipient to route, ``"*"`` for everyone else::

    {"bob":  {"channel": "webhook", "url": "https://hooks.example/bob"},
     "lead": {"channel": "email", "to": "lead@example.com"},
     "ops":  {"channel": "pubsub", "pubsub": "pubsub", "topic": "escalations"},
     "*":    {"channel": "log"}}

Without a ``"*"`` route, everyone else gets ``NOTIFIER_WEBHOOK_URL``'s webhook if set, else the
log line alone (``log``, which every notification gets anyway).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ChannelKind(StrEnum):
    LOG = "log"
    WEBHOOK = "webhook"
    PUBSUB = "pubsub"
    EMAIL = "email"


_REQUIRED = {
    ChannelKind.LOG: (),
    ChannelKind.WEBHOOK: ("url",),
    ChannelKind.PUBSUB: ("pubsub", "topic"),
    ChannelKind.EMAIL: ("to",),
}


@dataclass(frozen=True)
class Route:
    channel: ChannelKind
    params: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        where = self.params.get("url") or self.params.get("to") or self.params.get("topic") or ""
        return f"{self.channel.value}:{where}" if where else self.channel.value


@dataclass(frozen=True)
class RoutingTable:
    routes: dict[str, Route]
    default: Route

    def route_for(self, recipient: str) -> Route:
        return self.routes.get(recipient, self.default)


def routing_table(routes_json: str | None, webhook_url: str | None) -> RoutingTable:
    """Raises ValueError naming NOTIFIER_ROUTES and the entry at fault."""
    raw = _load(routes_json)
    routes = {who: _route(who, spec) for who, spec in raw.items()}
    fallback = (
        Route(ChannelKind.WEBHOOK, {"url": webhook_url}) if webhook_url else Route(ChannelKind.LOG)
    )
    return RoutingTable(routes, routes.pop("*", fallback))


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"NOTIFIER_ROUTES is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError("NOTIFIER_ROUTES must be a JSON object of recipient -> route")
    return raw


def _route(who: str, spec: Any) -> Route:
    if not isinstance(spec, dict) or "channel" not in spec:
        raise ValueError(f"NOTIFIER_ROUTES[{who!r}] must be an object with a channel")
    try:
        kind = ChannelKind(spec["channel"])
    except ValueError as exc:
        allowed = ", ".join(k.value for k in ChannelKind)
        raise ValueError(f"NOTIFIER_ROUTES[{who!r}].channel must be one of {allowed}") from exc
    missing = [name for name in _REQUIRED[kind] if not spec.get(name)]
    if missing:
        raise ValueError(f"NOTIFIER_ROUTES[{who!r}] needs {', '.join(missing)} for {kind.value}")
    return Route(kind, {k: str(v) for k, v in spec.items() if k != "channel"})
