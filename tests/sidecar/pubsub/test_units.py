"""Table tests of the pure rules: Go JSON, envelopes, CEL subset, subscriptions, app answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sidecar import gojson as _gojson
from sidecar._http_channel import outcome_of
from sidecar.app_channel import EventOutcome as Outcome
from sidecar.pubsub import _envelope
from sidecar.pubsub._bulk import event_bytes
from sidecar.pubsub._cel import CelEvalError, CelSyntaxError, compile_match
from sidecar.pubsub._pubsub_runtime import PubSubComponent, _scoped
from sidecar.pubsub._subscriptions import SubscribeResponseError, clean_path, programmatic


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None]}, '{"a":[true,null],"b":1}'),
        ("<&>\u2028\n\x01", '"\\u003c\\u0026\\u003e\\u2028\\n\\u0001"'),
        (1.0, "1"),
        (1.5, "1.5"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (12345678901234567890.0, "12345678901234567000"),
    ],
)
def test_go_json_encoding(value: Any, text: str) -> None:
    assert _gojson.dumps(value) == text


def test_go_json_numbers_and_first_value() -> None:
    assert _gojson.dumps(_gojson.loads_precise(b' {"n": 1.50, "m": 1e3} trailing')) == (
        '{"m":1e3,"n":1.50}'
    )
    with pytest.raises(ValueError, match="EOF"):
        _gojson.loads_precise(b"  ")
    with pytest.raises(ValueError):
        _gojson.loads_precise(b"NaN")


@pytest.mark.parametrize(
    ("content_type", "body", "field", "data"),
    [
        ("application/json", b'{"a":1}', "data", {"a": 1}),
        ("application/json; charset=utf-8", b"[1]", "data", [1]),
        ("application/json", b"not json", "data", "not json"),
        ("application/problem+json", b'{"a":1}', "data", '{"a":1}'),
        ("", b"hi", "data", "hi"),
        ("application/octet-stream", b"\x00", "data_base64", "AA=="),
        ("application/cloudevents+protobuf", b"\x01", "data_base64", "AQ=="),
    ],
)
def test_new_envelope_data(content_type: str, body: bytes, field: str, data: Any) -> None:
    env = _envelope.new_envelope(
        source="app",
        topic="t",
        pubsub="p",
        content_type=content_type,
        body=body,
        trace_id="tp",
        trace_state="",
        metadata={},
        now=0,
        new_id=lambda: "id1",
    )
    assert _gojson.dumps(env[field]) == _gojson.dumps(data)
    assert env["datacontenttype"] == (content_type or "text/plain")
    assert (env["id"], env["traceid"], env["traceparent"]) == ("id1", "tp", "tp")
    assert "subject" not in env


def test_envelope_overrides_are_case_insensitive() -> None:
    md = {
        "CloudEvent.Id": "x",
        "cloudevent.traceid": "tid",
        "cloudevent.traceparent": "tp2",
        "cloudevent.subject": "s",
    }
    env = _envelope.new_envelope(
        source="app",
        topic="t",
        pubsub="p",
        content_type="",
        body=b"",
        trace_id="tp",
        trace_state="",
        metadata=md,
        now=0,
    )
    assert (env["id"], env["traceid"], env["traceparent"], env["subject"]) == (
        "x",
        "tp2",
        "tp2",
        "s",
    )


def test_from_cloud_event() -> None:
    env = _envelope.from_cloud_event(
        b'{"traceid":"mine","source":null}',
        topic="t",
        pubsub="p",
        trace_id="tp",
        trace_state="ts",
        now=0,
    )
    assert env["traceid"] == "mine" and "traceparent" not in env
    assert (env["source"], env["type"], env["specversion"], env["tracestate"]) == (
        "Dapr",
        "com.dapr.event.sent",
        "1.0",
        "ts",
    )
    for bad in (b"[1]", b"{", b"null"):
        with pytest.raises(_envelope.EnvelopeError):
            _envelope.from_cloud_event(
                bad, topic="t", pubsub="p", trace_id="", trace_state="", now=0
            )


@pytest.mark.parametrize(
    ("metadata", "ttl"),
    [
        ({"ttlInSeconds": "30"}, 30.0),
        ({"ttl": "1m30s"}, 90.0),
        ({"TTLINSECONDS": "5"}, 5.0),
        ({"ttlInSeconds": "-3s"}, 0.0),
        ({"ttlInSeconds": "0"}, 0.0),
        ({"ttlInSeconds": "-1"}, None),
        ({"ttlInSeconds": "abc"}, None),
        ({}, None),
    ],
)
def test_ttl(metadata: dict[str, str], ttl: float | None) -> None:
    assert _envelope.ttl_seconds(metadata) == ttl


def test_expiry_and_raw_payload_flag() -> None:
    assert _envelope.has_expired({"expiration": "2020-01-01T00:00:00Z"}, 1_600_000_000)
    assert not _envelope.has_expired({"expiration": "2020-01-01T00:00:00Z"}, 1_500_000_000)
    assert not _envelope.has_expired({"expiration": "garbage"}, 2e9)
    assert _envelope.is_raw_payload({"rawPayload": "T"})
    assert not _envelope.is_raw_payload({"rawPayload": ""})
    with pytest.raises(ValueError, match="rawPayload value must be a valid boolean"):
        _envelope.is_raw_payload({"rawPayload": "yes"})


EVENT = {"type": "x", "data": {"kind": "big", "n": 3.0, "flag": True}, "id": "1"}


@pytest.mark.parametrize(
    ("expr", "result"),
    [
        ('event.type == "x"', True),
        ("event.type == 'y'", False),
        ('event["type"] != "x"', False),
        ('event.type == "y" || event.data.kind == "big"', True),
        ("event.data.n == 3 && event.data.n > 2.5", True),
        ("!(event.data.flag)", False),
        ("event.data.flag == 1", False),  # no bool/number equality in CEL
        ('event.missing == "x" || true', True),
        ('false && event.missing == "x"', False),
    ],
)
def test_cel_subset(expr: str, result: bool) -> None:
    assert compile_match(expr).matches(EVENT) is result


@pytest.mark.parametrize(
    "expr",
    [
        "has(event.type)",
        "event.type.startsWith('x')",
        'event.type in ["x"]',
        "other == 1",
        "event.data.n + 1 == 4",
        "event.type ==",
    ],
)
def test_cel_unsupported_or_invalid(expr: str) -> None:
    with pytest.raises(CelSyntaxError):
        compile_match(expr)


@pytest.mark.parametrize("expr", ['event.missing == "x"', "event.data.kind < 1", "event.type"])
def test_cel_eval_errors(expr: str) -> None:
    with pytest.raises(CelEvalError):
        compile_match(expr).matches(EVENT)


def test_programmatic_subscriptions() -> None:
    subs = programmatic(
        [
            {"pubsubName": "p", "topic": "a", "route": "/a", "routes": {"default": "/d"}},
            {"pubsubname": "p", "topic": "b"},  # no route at all: dropped
            {
                "pubsubname": "p",
                "topic": "c",
                "routes": {
                    "rules": [
                        {"match": "size(event) > 1", "path": "/skipped"},
                        {"match": "", "path": "/all"},
                    ]
                },
            },
        ]
    )
    assert [(s.pubsubname, s.topic, [r.path for r in s.rules]) for s in subs] == [
        ("p", "a", ["/d"]),
        ("p", "c", ["/all"]),
    ]
    assert programmatic(None) == []
    bad_answers: list[Any] = [
        {"topic": "a"},
        [{"topic": 5}],
        [{"routes": []}],
        [{"metadata": {"a": 1}}],
    ]
    for bad in bad_answers:
        with pytest.raises(SubscribeResponseError):
            programmatic(bad)


@pytest.mark.parametrize(
    ("route", "path"),
    [
        ("/a/b", "/a/b"),
        ("a", "a"),
        ("//a/../b/", "/b"),
        ("", ""),
        (".", ""),
    ],
)
def test_clean_path(route: str, path: str) -> None:
    assert clean_path(route) == path


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, b"", Outcome.SUCCESS),
        (204, b"null", Outcome.SUCCESS),
        (200, b"[1]", Outcome.SUCCESS),
        (200, b'{"status":5}', Outcome.SUCCESS),
        (200, b'{"Status":"RETRY"}', Outcome.RETRY),
        (299, b'{"status":"DROP"}', Outcome.DROP),
        (200, b'{"status":"drop"}', Outcome.RETRY),
        (404, b"", Outcome.DROP),
        (500, b'{"status":"SUCCESS"}', Outcome.RETRY),
        (301, b"", Outcome.RETRY),
    ],
)
def test_app_answer_mapping(status: int, body: bytes, outcome: Outcome) -> None:
    assert outcome_of(status, body) is outcome


def test_scopes() -> None:
    assert _scoped("a=t1,t2; b=t3;a=t1,t4", "a") == ["t1", "t2", "t4"]
    comp = PubSubComponent("p", "pubsub.in-memory", "v1", allowed=["x", "y"], protected=["y"])
    assert comp.allows("x", []) and not comp.allows("z", []) and not comp.allows("y", [])
    assert comp.allows("y", ["y"])


@pytest.mark.parametrize(
    ("event", "content_type", "data"),
    [
        ({"a": 1.0}, "application/json", b'{"a":1}'),
        ("s", "text/plain", b"s"),
        ("AAE=", "application/octet-stream", b"\x00\x01"),
        ("x", "application/xml", b"x"),
    ],
)
def test_bulk_event_bytes(event: Any, content_type: str, data: bytes) -> None:
    assert event_bytes(event, content_type) == data


@pytest.mark.parametrize(
    ("event", "content_type"),
    [
        ({"a": 1}, "text/plain"),
        (1.0, "application/octet-stream"),
        ("!!", "application/octet-stream"),
        ("x", ""),
        ("x", "image/png"),
    ],
)
def test_bulk_event_mismatch(event: Any, content_type: str) -> None:
    with pytest.raises(ValueError):
        event_bytes(event, content_type)


async def _settle() -> None:
    for _ in range(20):  # let ready callbacks run; no wall-clock waiting
        await asyncio.sleep(0)
