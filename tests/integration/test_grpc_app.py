"""A ``dapr.ext.grpc`` app behind its sidecar with ``--app-protocol grpc``: real processes, on the
selected runtime (real daprd under ``--runtime dapr``). HTTP-API callers invoke it, publish to it
and schedule its jobs; the expected answers and callbacks are what daprd 1.18.3 gave and sent.
The app (``grpc_app.py``) records every callback, with its raw request and metadata."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf import struct_pb2

from sidecar._grpc_channel import GrpcAppChannel
from sidecar.app_channel import AppTarget

from ._support import Process, Sidecar, free_port, sidecar_for_app

pytestmark = pytest.mark.integration

APP_ID = "gapp"
TOKEN = "app-secret"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
APP_SCRIPT = Path(__file__).with_name("grpc_app.py")
PUBSUB_YAML = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
  metadata: []
"""
VALUE_URL = "type.googleapis.com/google.protobuf.Value"


@dataclass
class GrpcSystem:
    app: Process
    sidecar: Sidecar
    records: Path
    client: httpx.AsyncClient

    def callbacks(self, kind: str) -> list[dict[str, Any]]:
        if not self.records.exists():
            return []
        lines = self.records.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["kind"] == kind]

    async def until_callbacks(self, kind: str, count: int, what: str) -> list[dict[str, Any]]:
        async def arrived() -> list[dict[str, Any]] | None:
            found = self.callbacks(kind)
            return found if len(found) >= count else None

        try:
            return await self.sidecar.until(arrived, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.app.describe()}") from None

    def invoke_url(self, method: str) -> str:
        return f"{self.sidecar.url}/v1.0/invoke/{APP_ID}/method/{method}"


def grpc_app(root: Path) -> tuple[Process, int, Path]:
    port, records = free_port(), root / "records.jsonl"
    args = [sys.executable, str(APP_SCRIPT), str(port), str(records)]
    return Process("grpc app", args, log=root / "grpc-app.log"), port, records


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[GrpcSystem]:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "pubsub.yaml").write_text(PUBSUB_YAML)
    app, port, records = grpc_app(tmp_path)
    env = {"APP_API_TOKEN": TOKEN}
    sidecar = sidecar_for_app(
        tmp_path / "home", APP_ID, port, resources=resources, env=env, app_protocol="grpc"
    )
    async with httpx.AsyncClient(timeout=20) as client:
        try:
            app.start()
            sidecar.start()
            await sidecar.wait_healthy(client)
            yield GrpcSystem(app, sidecar, records, client)
        finally:
            sidecar.stop()
            app.stop()


async def test_an_http_caller_invokes_the_grpc_app(system: GrpcSystem) -> None:
    headers = {"content-type": "application/json", "x-custom": "c", "traceparent": TRACEPARENT}
    r = await system.client.post(
        system.invoke_url("echo?x=1&y=two"), content=b'{"n":1}', headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.content == b'{"n":1}'
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-app"] == "grpc"
    assert r.headers["traceparent"] == TRACEPARENT

    (call,) = system.callbacks("OnInvoke")
    request, metadata = call["request"], call["metadata"]
    assert request["method"] == "echo"
    assert request["http_extension"] == {"verb": 3, "querystring": "x=1&y=two"}  # POST
    assert request["content_type"] == "application/json"
    assert request["data"] == {"type_url": "", "value": base64.b64encode(b'{"n":1}').decode()}
    assert metadata["dapr-api-token"] == TOKEN
    assert metadata["x-custom"] == "c"
    assert metadata["traceparent"] == TRACEPARENT
    # permanent HTTP headers go with daprd's prefix
    assert metadata["dapr-content-type"] == "application/json"
    assert metadata["dapr-content-length"] == "7"
    assert metadata["dapr-accept"] == "*/*"


@pytest.mark.parametrize(
    ("verb", "number"), [("GET", 1), ("PUT", 4), ("DELETE", 5), ("PATCH", 9), ("OPTIONS", 7)]
)
async def test_the_verb_reaches_the_app(system: GrpcSystem, verb: str, number: int) -> None:
    r = await system.client.request(verb, system.invoke_url("echo"))
    assert r.status_code == 200, r.text
    (call,) = system.callbacks("OnInvoke")
    assert call["request"]["http_extension"] == {"verb": number, "querystring": ""}
    assert "content_type" not in call["request"]


async def test_the_apps_grpc_status_becomes_the_http_answer(system: GrpcSystem) -> None:
    r = await system.client.post(system.invoke_url("fail"), content=b"x")
    assert (r.status_code, r.headers["content-type"]) == (500, "text/plain; charset=utf-8")
    assert r.json() == {"code": 2, "message": "Exception calling application: boom"}

    r = await system.client.get(system.invoke_url("echo/sub"))
    assert r.status_code == 501, r.text  # the SDK's UNIMPLEMENTED for an unknown method
    message = "Exception calling application: echo/sub method not implemented!"
    assert r.json() == {"code": 12, "message": message}


async def test_topic_events_reach_the_app_with_their_status_semantics(system: GrpcSystem) -> None:
    publish = f"{system.sidecar.url}/v1.0/publish/pubsub"
    for topic in ("orders", "drop", "flaky"):
        r = await system.client.post(f"{publish}/{topic}", json={"t": topic})
        assert r.status_code == 204, r.text
    r = await system.client.post(
        f"{publish}/orders", content=b"hello", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 204, r.text

    orders = await system.until_callbacks("orders", 2, "both orders events")
    assert [(o["data"], o["content_type"]) for o in orders] == [
        ({"t": "orders"}, "application/json"),
        ("hello", "text/plain"),
    ]
    (dead,) = await system.until_callbacks("dead", 1, "the dropped event on its dead-letter topic")
    assert dead["data"] == {"t": "drop"}
    await system.until_callbacks("flaky", 1, "the flaky event")

    events: dict[str, dict[str, Any]] = {}
    for event in system.callbacks("OnTopicEvent"):
        events.setdefault(event["request"]["topic"], event)
    first = events["orders"]
    request = first["request"]
    assert (request["pubsub_name"], request["source"], request["spec_version"]) == (
        "pubsub",
        APP_ID,
        "1.0",
    )
    assert request["type"] == "com.dapr.event.sent"
    assert base64.b64decode(request["data"]) == b'{"t":"orders"}'
    assert "path" not in request  # no route: gRPC's empty path
    assert request["extensions"]["topic"] == "orders"
    assert request["extensions"]["pubsubname"] == "pubsub"
    assert {"traceparent", "tracestate", "traceid", "time"} <= request["extensions"].keys()
    assert first["metadata"]["dapr-api-token"] == TOKEN
    assert first["metadata"]["pubsubname"] == "pubsub"
    assert events["dead"]["request"]["extensions"]["topic"] == "drop"  # the original topic


async def test_bulk_subscriptions_get_on_bulk_topic_event(system: GrpcSystem) -> None:
    publish = f"{system.sidecar.url}/v1.0/publish/pubsub/bulk"
    for status in ("success", "retry", "drop"):
        r = await system.client.post(publish, json={"t": status})
        assert r.status_code == 204, r.text
    handled = await system.until_callbacks("bulk", 3, "the three bulk entries")
    assert [h["data"] for h in handled] == [{"t": s} for s in ("success", "retry", "drop")]
    dead = await system.until_callbacks("dead", 2, "the retried and the dropped entry")
    assert sorted(d["data"]["t"] for d in dead) == ["drop", "retry"]
    calls = system.callbacks("OnBulkTopicEvent")
    assert [len(c["request"]["entries"]) for c in calls] == [1, 1, 1]  # in-memory: one by one
    request = calls[0]["request"]
    assert (request["type"], request["topic"], request["pubsub_name"]) == (
        "com.dapr.event.sent.bulk",
        "bulk",
        "pubsub",
    )
    assert request["metadata"] == {"pubsubName": "pubsub"}
    (entry,) = request["entries"]
    assert "content_type" not in entry and "metadata" not in entry  # daprd 1.18.3 sets neither
    assert "path" not in request  # no route: gRPC's empty path
    event = entry["cloud_event"]
    assert (event["type"], event["source"], event["data_content_type"]) == (
        "com.dapr.event.sent",
        APP_ID,
        "application/json",
    )
    assert base64.b64decode(event["data"]) == b'{"t":"success"}'
    assert event["extensions"]["topic"] == "bulk"
    assert {"traceparent", "tracestate", "traceid", "time"} <= event["extensions"].keys()
    metadata = calls[0]["metadata"]
    assert metadata["dapr-api-token"] == TOKEN
    assert metadata["pubsubname"] == "pubsub"
    assert metadata["traceparent"] == "00-" + "0" * 32 + "-" + "0" * 16 + "-00"


async def test_the_metadata_shows_the_grpc_channel_and_its_subscriptions(
    system: GrpcSystem,
) -> None:
    r = await system.client.get(f"{system.sidecar.url}/v1.0/metadata")
    body = r.json()
    assert body["appConnectionProperties"]["protocol"] == "grpc"
    subs = {s["topic"]: s for s in body["subscriptions"]}
    assert set(subs) == {"orders", "flaky", "drop", "dead", "bulk"}
    assert subs["drop"] == {
        "pubsubname": "pubsub",
        "topic": "drop",
        "rules": [{}],
        "deadLetterTopic": "dead",
        "type": "PROGRAMMATIC",
    }
    assert "actors" not in body  # a gRPC app hosts no actors over the app channel


async def test_job_triggers_reach_the_app_with_the_failure_policy(system: GrpcSystem) -> None:
    jobs = f"{system.sidecar.url}/v1.0/jobs"
    retry_twice = {"constant": {"interval": "0.5s", "maxRetries": 2}}
    bodies = {
        "j1": {"dueTime": "0s", "data": {"b": 1, "a": "x"}},
        "nodata": {"dueTime": "0s"},
        "failing": {"dueTime": "0s", "failurePolicy": retry_twice},
        "unknown": {"dueTime": "0s", "failurePolicy": {"constant": {"maxRetries": 0}}},
    }
    for name, body in bodies.items():
        r = await system.client.post(f"{jobs}/{name}", json=body)
        assert r.status_code == 204, r.text

    delivered = await system.until_callbacks("job", 5, "j1, nodata and three failing attempts")
    assert sorted(j["name"] for j in delivered) == ["failing", "failing", "failing", "j1", "nodata"]
    await system.until_callbacks("OnJobEventAlpha1", 1, "the Alpha1 fallback for 'unknown'")

    events = {e["request"]["name"]: e for e in system.callbacks("OnJobEvent")}
    j1 = events["j1"]["request"]
    assert (j1["method"], j1["content_type"]) == ("job/j1", VALUE_URL)
    assert j1["http_extension"] == {"verb": 3, "querystring": ""}
    assert j1["data"]["type_url"] == VALUE_URL
    value = struct_pb2.Value.FromString(base64.b64decode(j1["data"]["value"]))
    assert dict(value.struct_value) == {"a": "x", "b": 1.0}
    assert "data" not in events["nodata"]["request"]
    assert events["j1"]["metadata"]["dapr-api-token"] == TOKEN
    (alpha,) = system.callbacks("OnJobEventAlpha1")
    assert alpha["request"]["name"] == "unknown"


async def test_health_checks_ask_the_apps_health_service(tmp_path: Path) -> None:
    app, port, records = grpc_app(tmp_path)
    channel = GrpcAppChannel(AppTarget("127.0.0.1", port, APP_ID, TOKEN), max_message=1 << 20)
    closed = GrpcAppChannel(AppTarget("127.0.0.1", free_port(), APP_ID), max_message=1024)
    try:
        app.start()
        await channel.wait_until_listening()
        assert await channel.probe_health("/healthz", 5.0)
        assert await closed.probe_health("/healthz", 0.5) is False
    finally:
        await channel.aclose()
        await closed.aclose()
        app.stop()
    assert [json.loads(line)["kind"] for line in records.read_text().splitlines()] == ["health"]


async def test_an_app_that_is_gone_answers_unavailable_as_503(system: GrpcSystem) -> None:
    system.app.stop()
    r = await system.client.get(system.invoke_url("echo"))
    assert (r.status_code, r.headers["content-type"]) == (503, "text/plain; charset=utf-8")
    assert r.json()["code"] == 14  # the message is the gRPC library's own wording
