"""CloudEvents 1.0 envelopes as daprd builds them (contrib ``pubsub/envelope.go``).

Pure functions: the caller passes ``now`` (epoch seconds) and gets plain dicts; numbers read from
JSON bodies keep their text (:class:`~.gojson.Number`), so re-encoding changes no digits.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .. import gojson
from ..godecode import go_syntax
from ..timefmt import TimeFormatError, parse_go_duration

CLOUDEVENT_CT = "application/cloudevents+json"
DEFAULT_TYPE = "com.dapr.event.sent"
DEFAULT_SOURCE = "Dapr"
SPEC_VERSION = "1.0"
DEFAULT_DATA_CT = "text/plain"
OVERRIDES = ("id", "source", "type", "subject", "traceid", "traceparent", "tracestate")
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class EnvelopeError(ValueError):
    """The body cannot become a CloudEvent (daprd: ``cannot create cloudevent``)."""


def is_content_type(content_type: str, expected: str) -> bool:
    """contrib ``isContentType``: case-insensitive, parameters after ``;`` ignored."""
    lower = content_type.lower()
    return lower == expected or lower.split(";", 1)[0] == expected


def is_string_content_type(content_type: str) -> bool:
    return content_type.lower().startswith("text/") or is_content_type(
        content_type, "application/xml"
    )


def rfc3339_local(now: float) -> str:
    """Go's ``time.Now().Format(time.RFC3339)``: local offset, ``Z`` when it is zero."""
    text = datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def rfc3339_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_bool(value: str, key: str) -> bool:
    """Go ``strconv.ParseBool`` with contrib's error text."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{key} value must be a valid boolean: actual is '{value}'")


def is_raw_payload(metadata: Mapping[str, str]) -> bool:
    value = metadata.get("rawPayload", "")
    return parse_bool(value, "rawPayload") if value else False


def _lookup(metadata: Mapping[str, str], key: str) -> str:
    """Case-insensitive metadata lookup (mapstructure / kit ``GetMetadataProperty``)."""
    lowered = key.lower()
    for name, value in metadata.items():
        if name.lower() == lowered:
            return value
    return ""


def ttl_seconds(metadata: Mapping[str, str]) -> float | None:
    """contrib ``TryGetTTL`` (``ttl`` or ``ttlInSeconds``); daprd ignores a bad value here."""
    value = _lookup(metadata, "ttl") or _lookup(metadata, "ttlInSeconds")
    if not value:
        return None
    try:
        return max(parse_go_duration(value).total_seconds(), 0.0)
    except TimeFormatError:
        pass
    if not re.fullmatch(r"[+-]?[0-9]+", value) or int(value) <= 0:
        return None
    return float(int(value))


def apply_ttl(envelope: dict[str, Any], metadata: Mapping[str, str], now: float) -> None:
    """``ApplyMetadata``: in-memory has no native TTL, so daprd writes ``expiration``."""
    ttl = ttl_seconds(metadata)
    if ttl is not None:
        envelope["expiration"] = rfc3339_utc(now + ttl)


def _data_field(content_type: str, body: bytes) -> tuple[str, Any]:
    if is_content_type(content_type, "application/json"):
        try:
            return "data", gojson.loads_precise(body)
        except ValueError:
            return "data", body.decode("utf-8", "replace")
    if is_content_type(content_type, "application/octet-stream") or is_content_type(
        content_type, "application/cloudevents+protobuf"
    ):
        return "data_base64", base64.b64encode(body).decode()
    return "data", body.decode("utf-8", "replace")


def new_envelope(
    *,
    source: str,
    topic: str,
    pubsub: str,
    content_type: str,
    body: bytes,
    trace_id: str,
    trace_state: str,
    metadata: Mapping[str, str],
    now: float,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> dict[str, Any]:
    """A new envelope around ``body`` (``NewCloudEvent`` for non-CloudEvent content types)."""
    over = {key: _lookup(metadata, "cloudevent." + key) for key in OVERRIDES}
    trace = over["traceparent"] or over["traceid"] or trace_id
    content_type = content_type or DEFAULT_DATA_CT
    field, data = _data_field(content_type, body)
    envelope: dict[str, Any] = {
        "id": over["id"] or new_id(),
        "specversion": SPEC_VERSION,
        "datacontenttype": content_type,
        "source": over["source"] or source or DEFAULT_SOURCE,
        "type": over["type"] or DEFAULT_TYPE,
        "topic": topic,
        "pubsubname": pubsub,
        "traceid": trace,
        "traceparent": trace,
        "tracestate": over["tracestate"] or trace_state,
        "time": rfc3339_local(now),
        field: data,
    }
    if over["subject"]:
        envelope["subject"] = over["subject"]
    return envelope


def from_cloud_event(
    body: bytes, *, topic: str, pubsub: str, trace_id: str, trace_state: str, now: float
) -> dict[str, Any]:
    """Keep a caller's CloudEvent; fill what is missing (``FromCloudEvent``)."""
    try:
        event = gojson.loads_precise(body)
    except json.JSONDecodeError as exc:
        raise EnvelopeError(go_syntax(exc)) from exc
    except ValueError as exc:
        raise EnvelopeError(str(exc)) from exc
    if not isinstance(event, dict):
        raise EnvelopeError("a CloudEvent must be a JSON object")
    event.setdefault("time", rfc3339_local(now))
    if "traceid" not in event:
        event["traceid"] = event["traceparent"] = trace_id
    event.setdefault("tracestate", trace_state)
    event["topic"], event["pubsubname"] = topic, pubsub
    for key, default in (
        ("source", DEFAULT_SOURCE),
        ("type", DEFAULT_TYPE),
        ("specversion", SPEC_VERSION),
    ):
        if event.get(key) is None:
            event[key] = default
    return event


def from_raw_payload(data: bytes, *, topic: str, pubsub: str) -> dict[str, Any]:
    """The synthetic CloudEvent a ``rawPayload`` subscription receives (``FromRawPayload``)."""
    return {
        "id": str(uuid.uuid4()),
        "specversion": SPEC_VERSION,
        "datacontenttype": "application/octet-stream",
        "source": DEFAULT_SOURCE,
        "type": DEFAULT_TYPE,
        "topic": topic,
        "pubsubname": pubsub,
        "data_base64": base64.b64encode(data).decode(),
    }


def has_expired(event: Mapping[str, Any], now: float) -> bool:
    """``HasExpired``: an unparsable ``expiration`` never expires."""
    value = event.get("expiration")
    if not isinstance(value, str) or not value:
        return False
    try:
        expires = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    if expires.tzinfo is None:
        return False
    return expires.timestamp() < now
