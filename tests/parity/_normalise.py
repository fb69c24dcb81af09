"""Named normalisers: each replaces one kind of value that differs from run to run (or between
two correct runtimes for a reason given here) by a placeholder, so that snapshots compare.

They run in the order of :data:`NORMALISERS`, on an observation's answer and app deliveries
(never on the request, which the snapshot keeps as the catalogue wrote it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._model import TRACEPARENT

# HTTP framing, not content: how a body is delimited and how the connection is kept differ
# between Go's net/http and any other server (chunked vs content-length) and carry no API meaning.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
# The response's Date header is the wall clock.
VOLATILE_RESPONSE_HEADERS = FRAMING_HEADERS | {"date"}

# Written into GET /v1.0/metadata's "extended" by the Dapr CLI (PUT /v1.0/metadata/{key}) when
# it starts an app, and by `sidecar run` the same way. The recording runs bare daprd, no CLI.
CLI_METADATA = frozenset(
    {"cliPID", "appPID", "appCommand", "appLogPath", "daprdLogPath"}
    | {"runTemplatePath", "runTemplateName"}
)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_GO_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [+-]\d{4} \w+(?: m=[+-][\d.]+)?"
)
_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_ZERO_TRACE = "00-00000000000000000000000000000000-0000000000000000-00"
_HOST_PORT = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+")


@dataclass
class Scope:
    """What normalisers remember across one group of exchanges."""

    generated: dict[str, str] = field(default_factory=dict)  # context values the run made
    etags: dict[str, int] = field(default_factory=dict)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _map_keyed(value: Any, key: str, fn: Callable[[Any], Any]) -> Any:
    """``fn`` applied to every value stored under ``key`` in any dict, at any depth."""
    if isinstance(value, list):
        return [_map_keyed(v, key, fn) for v in value]
    if isinstance(value, dict):
        return {k: fn(v) if k == key else _map_keyed(v, key, fn) for k, v in value.items()}
    return value


def context_values(value: Any, scope: Scope) -> Any:
    """Values the catalogue generated for this run (absolute times it sent) become ``<name>``;
    daprd echoes them (a job's dueTime comes back as submitted)."""
    pairs = sorted(scope.generated.items(), key=lambda kv: -len(kv[1]))

    def replace(text: str) -> str:
        for name, generated in pairs:
            text = text.replace(generated, f"<{name}>")
        return text

    return _map_strings(value, replace)


def etags(value: Any, scope: Scope) -> Any:
    """ETags are opaque and new on every write; each distinct one becomes ``<etag:N>``, numbered
    by first appearance in the group, so "the same ETag as before" stays visible."""

    def number(etag: Any) -> Any:
        if not isinstance(etag, str):
            return etag
        return f"<etag:{scope.etags.setdefault(etag, len(scope.etags) + 1)}>"

    return _map_keyed(value, "etag", number)


def uuids(value: Any, scope: Scope) -> Any:
    """Random ids (CloudEvent ids, generated reentrancy ids) become ``<uuid>``."""
    return _map_strings(value, lambda s: _UUID.sub("<uuid>", s))


def timestamps(value: Any, scope: Scope) -> Any:
    """Instants the runtime computed from its clock (CloudEvent ``time``, ``ttlExpireTime``)
    become ``<time>``; so do Go ``time.Time`` strings in messages (with their monotonic part)."""
    return _map_strings(value, lambda s: _TIME.sub("<time>", _GO_TIME.sub("<time>", s)))


def trace_ids(value: Any, scope: Scope) -> Any:
    """A trace context the runtime made up becomes ``<traceparent>``; the all-zero one (tracing
    off) and the one the catalogue sent stay as they are."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        return found if found in (_ZERO_TRACE, TRACEPARENT) else "<traceparent>"

    return _map_strings(value, lambda s: _TRACEPARENT.sub(replace, s))


def ports(value: Any, scope: Scope) -> Any:
    """Every port is OS-assigned per run: ``host:port`` in strings and ``"port"`` numbers."""
    value = _map_strings(value, lambda s: _HOST_PORT.sub(r"\1:<port>", s))
    return _map_keyed(value, "port", lambda p: "<port>" if isinstance(p, int) else p)


def cli_metadata(value: Any, scope: Scope) -> Any:
    """Drop the metadata keys the Dapr CLI writes (:data:`CLI_METADATA`)."""

    def drop(extended: Any) -> Any:
        if not isinstance(extended, dict):
            return extended
        return {k: v for k, v in extended.items() if k not in CLI_METADATA}

    return _map_keyed(value, "extended", drop)


def feature_sets(value: Any, scope: Scope) -> Any:
    """daprd lists ``enabledFeatures`` in map order (it changes between two calls): sorted."""
    return _map_keyed(value, "enabledFeatures", lambda v: sorted(v) if isinstance(v, list) else v)


NORMALISERS: tuple[Callable[[Any, Scope], Any], ...] = (
    context_values,
    etags,
    uuids,
    timestamps,
    trace_ids,
    ports,
    cli_metadata,
    feature_sets,
)


def normalise(observed: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """Every normaliser, in order, over everything but the request."""
    out = dict(observed)
    for key in ("response", "app"):
        if key in out:
            for normaliser in NORMALISERS:
                out[key] = normaliser(out[key], scope)
    return out


def sort_unordered(items: list[Any]) -> list[Any]:
    """A list whose order the runtime does not define (bulk get answers, bulk publish
    deliveries), sorted by its JSON text."""
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
