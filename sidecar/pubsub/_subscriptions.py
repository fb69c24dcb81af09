"""Subscriptions: what the app asks for (``GET /dapr/subscribe``) and Subscription resources.

Both become :class:`TopicSubscription` values with ordered routing rules: the ``rules`` in order,
then ``routes.default`` (or the v1 ``route``) as a rule that always matches. One subscription
per (pubsub, topic): the first declarative one, replaced by a programmatic one for the same topic,
as daprd's component store does.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..components import Subscription
from ._cel import CelSyntaxError, Expression, compile_match

log = logging.getLogger(__name__)


class SubscriptionKind(Enum):
    DECLARATIVE = "DECLARATIVE"
    PROGRAMMATIC = "PROGRAMMATIC"
    STREAMING = "STREAMING"


class SubscribeResponseError(ValueError):
    """The app's ``/dapr/subscribe`` answer does not decode into subscriptions."""


@dataclass(frozen=True)
class Rule:
    path: str
    match: Expression | None = None


@dataclass(frozen=True)
class BulkConfig:
    """``bulkSubscribe``: batches of at most ``max_messages`` entries, each held at most
    ``max_await_ms`` after its first entry (daprd's defaults: 100 and 1000 when unset or 0)."""

    max_messages: int = 100
    max_await_ms: int = 1000


def bulk_config(value: Any) -> BulkConfig | None:
    """A ``bulkSubscribe`` object (programmatic or declarative); None unless enabled."""
    if not isinstance(value, Mapping) or _field(value, "enabled") is not True:
        return None
    count, wait = _field(value, "maxMessagesCount"), _field(value, "maxAwaitDurationMs")
    return BulkConfig(_positive(count, 100), _positive(wait, 1000))


def _positive(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return default
    return int(value)


@dataclass(frozen=True)
class TopicSubscription:
    pubsubname: str
    topic: str
    rules: tuple[Rule, ...]
    kind: SubscriptionKind
    dead_letter_topic: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    bulk: BulkConfig | None = None

    def route_for(self, event: Any) -> str | None:
        """The path of the first matching rule, None when none matches; may raise CelEvalError."""
        for rule in self.rules:
            if rule.match is None or rule.match.matches(event):
                return rule.path
        return None

    def describe(self) -> dict[str, Any]:
        """This subscription as GET /v1.0/metadata lists it."""
        out: dict[str, Any] = {"pubsubname": self.pubsubname, "topic": self.topic}
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        if self.rules:
            out["rules"] = [_describe_rule(r) for r in self.rules]
        out["deadLetterTopic"] = self.dead_letter_topic
        out["type"] = self.kind.value
        return out


def _describe_rule(rule: Rule) -> dict[str, str]:
    out = {"match": rule.match.source} if rule.match is not None else {}
    if rule.path:
        out["path"] = rule.path
    return out


def clean_path(route: str) -> str:
    """Go ``path.Clean`` as daprd applies it before calling the app."""
    if not route:
        return ""
    cleaned = posixpath.normpath(route)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return "" if cleaned == "." else cleaned


def build_rules(rules: Iterable[Mapping[str, Any]], default: str, topic: str) -> tuple[Rule, ...]:
    out: list[Rule] = []
    for item in rules:
        match, path = str(item.get("match") or "").strip(), str(item.get("path") or "")
        try:
            out.append(Rule(path, compile_match(match) if match else None))
        except CelSyntaxError as exc:
            log.error("topic %s: skipping routing rule %r: %s", topic, match, exc)
    if default:
        out.append(Rule(default))
    return tuple(out)


def declarative(resources: Iterable[Subscription]) -> list[TopicSubscription]:
    """Subscription resources (already filtered by scopes when loaded)."""
    out = []
    for res in resources:
        routes = res.routes or {}
        rules = build_rules(routes.get("rules") or (), str(routes.get("default") or ""), res.topic)
        out.append(
            TopicSubscription(
                res.pubsubname,
                res.topic,
                rules,
                SubscriptionKind.DECLARATIVE,
                res.dead_letter_topic,
                dict(res.metadata),
                bulk_config(res.bulk_subscribe),
            )
        )
    return out


def _field(obj: Mapping[str, Any], name: str) -> Any:
    """Go's struct decoding: exact key first, then a case-insensitive match."""
    if name in obj:
        return obj[name]
    for key, value in obj.items():
        if key.lower() == name.lower():
            return value
    return None


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = _field(obj, name)
    if value is not None and not isinstance(value, str):
        raise SubscribeResponseError(f"field {name} must be a string")
    return value or ""


def _strings(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SubscribeResponseError(f"field {name} must be a map of strings")
    return dict(value)


def _programmatic_one(item: Any) -> TopicSubscription:
    if not isinstance(item, dict):
        raise SubscribeResponseError("each subscription must be a JSON object")
    routes = _field(item, "routes")
    routes = {} if routes is None else routes
    if not isinstance(routes, dict):
        raise SubscribeResponseError("field routes must be an object")
    rules = _field(routes, "rules") or []
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise SubscribeResponseError("field routes.rules must be a list of objects")
    topic = _text(item, "topic")
    default = _text(routes, "default") or _text(item, "route")
    return TopicSubscription(
        _text(item, "pubsubname"),
        topic,
        build_rules(rules, default, topic),
        SubscriptionKind.PROGRAMMATIC,
        _text(item, "deadLetterTopic"),
        _strings(_field(item, "metadata"), "metadata"),
        bulk_config(_field(item, "bulkSubscribe")),
    )


def programmatic(items: Any) -> list[TopicSubscription]:
    """Decode the app's answer (a JSON array, or null); entries without any route are dropped."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise SubscribeResponseError("the subscription list must be a JSON array")
    out = []
    for sub in (_programmatic_one(item) for item in items):
        if not sub.rules:
            log.warning("topic %s has an empty routes. removing from subscriptions list", sub.topic)
            continue
        out.append(sub)
    return out


def merge(
    declared: Iterable[TopicSubscription], programmed: Iterable[TopicSubscription]
) -> list[TopicSubscription]:
    """One subscription per (pubsub, topic); programmatic replaces declarative."""
    out: list[TopicSubscription] = []
    index: dict[tuple[str, str], int] = {}
    for sub in declared:
        key = (sub.pubsubname, sub.topic)
        if key not in index:
            index[key] = len(out)
            out.append(sub)
    for sub in programmed:
        key = (sub.pubsubname, sub.topic)
        if key in index:
            out[index[key]] = sub
        else:
            index[key] = len(out)
            out.append(sub)
    return out
