"""The transactional outbox on a real sidecar (HTTP and gRPC APIs, in-memory store and broker):
what the subscriber receives, what is stored, and what a failure leaves (recorded from daprd
1.18.3: ``tests/parity/catalogue/outbox.py``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest
from dapr.proto.common.v1 import common_pb2
from dapr.proto.runtime.v1 import dapr_pb2_grpc, state_pb2

from sidecar.godecode import go_sprint
from sidecar.pubsub.outbox import TransactionalOutbox

from .conftest import Harness, HarnessFactory

SUB = [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]
STORE = """apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: store
spec:
  type: state.in-memory
  version: v1
  metadata:
    - name: outboxPublishPubsub
      value: {pubsub}
    - name: outboxPublishTopic
      value: orders
"""
TXN = "/v1.0/state/store/transaction"


def _upsert(key: str, value: object, **metadata: str) -> dict[str, object]:
    request: dict[str, object] = {"key": key, "value": value}
    if metadata:
        request["metadata"] = metadata
    return {"operation": "upsert", "request": request}


async def _outbox_harness(harness: HarnessFactory, pubsub: str = "pubsub") -> Harness:
    return await harness(subscriptions=SUB, extra_yaml=STORE.format(pubsub=pubsub))


def _outbox(h: Harness) -> TransactionalOutbox:
    assert h.runtime.outbox is not None
    return h.runtime.outbox


def _store_yaml(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The ``store`` component on ``kind``, publishing to ``orders`` on ``pubsub``."""
    if kind == "state.sqlite":
        connection = str(tmp_path / "state.db")
        key = "connectionString"
    elif kind == "state.redis":
        connection, key = request.getfixturevalue("redis_server").host, "redisHost"
    else:
        connection, key = request.getfixturevalue("postgres_server").dsn, "connectionString"
    text = STORE.format(pubsub="pubsub").replace("state.in-memory", kind)
    return text + f'    - name: {key}\n      value: "{connection}"\n'


async def test_an_upsert_reaches_the_topic_after_the_commit(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness)
    answer = await h.client.post(TXN, json={"operations": [_upsert("k1", "v1")]})
    assert answer.status_code == 204
    event = (await h.app.next()).json()
    assert event.pop("id").startswith("outbox-")
    event.pop("time")
    assert event == {
        "data": "v1",
        "datacontenttype": "text/plain",
        "pubsubname": "pubsub",
        "source": "a",
        "specversion": "1.0",
        "topic": "orders",
        "traceid": "",
        "traceparent": "",
        "tracestate": "",
        "type": "com.dapr.event.sent",
    }
    await h.runtime.drain()
    assert (await h.client.get("/v1.0/state/store/k1")).json() == "v1"
    store = h.sidecar.state_stores["store"]
    assert [k for k in getattr(store, "_rows", {}) if "outbox" in k] == []


async def test_the_event_carries_the_operation_metadata(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness)
    op = _upsert("k4", 5, type="t.override", source="src", id="nope", data="nope", x="y")
    await h.client.post(f"{TXN}?metadata.q=1", json={"operations": [op]})
    event = (await h.app.next()).json()
    assert event["id"].startswith("outbox-")
    assert (event["data"], event["type"], event["source"]) == ("5", "t.override", "src")
    assert (event["x"], event["q"]) == ("y", "1")


async def test_json_content_type_and_go_rendering(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness)
    value = {"a": 1, "b": [1.5, "x"], "big": 1000000}
    ops = [_upsert("k2", value), {"operation": "upsert", "request": {
        "key": "k3", "value": {"a": 1}, "contentType": "application/json"}}]  # fmt: skip
    await h.client.post(TXN, json={"operations": ops})
    first, second = (await h.app.next()).json(), (await h.app.next()).json()
    assert first["data"] == "map[a:1 b:[1.5 x] big:1e+06]"
    assert (second["data"], second["datacontenttype"]) == ({"a": 1}, "application/json")


async def test_a_projection_is_published_not_stored(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness)
    ops = [_upsert("k5", "stored"), _upsert("k5", "published", **{"outbox.projection": "true"})]
    await h.client.post(TXN, json={"operations": ops})
    assert (await h.app.next()).json()["data"] == "published"
    assert (await h.client.get("/v1.0/state/store/k5")).json() == "stored"


async def test_a_delete_publishes_nothing(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness)
    delete = {"operation": "delete", "request": {"key": "k1"}}
    await h.client.post(TXN, json={"operations": [delete]})
    await h.client.post(TXN, json={"operations": [_upsert("after", "x")]})
    assert (await h.app.next()).json()["data"] == "x"


async def test_a_failed_transaction_publishes_nothing(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness)
    stale = {"operation": "upsert", "request": {"key": "k", "value": "v", "etag": "9"}}
    answer = await h.client.post(TXN, json={"operations": [stale]})
    assert answer.status_code == 500
    await h.client.post(TXN, json={"operations": [_upsert("ok", "fine")]})
    assert (await h.app.next()).json()["data"] == "fine"


async def test_a_missing_outbox_pubsub_refuses_the_transaction(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness, pubsub="nope")
    answer = await h.client.post(TXN, json={"operations": [_upsert("k", "v")]})
    assert answer.status_code == 500
    body = answer.json()
    assert body["errorCode"] == "ERR_PUBLISH_OUTBOX"
    assert body["message"] == "error while publishing outbox message: pubsub 'nope' not found"
    assert body["details"][0]["reason"] == "DAPR_PUBSUB_OUTBOX"
    assert (await h.client.get("/v1.0/state/store/k")).status_code == 204


async def test_grpc_transaction_publishes_the_raw_value(harness: HarnessFactory) -> None:
    h = await _outbox_harness(harness)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{h.sidecar.grpc_port}") as channel:
        stub = dapr_pb2_grpc.DaprStub(channel)
        meta = {"contentType": "application/json"}
        ops = [
            state_pb2.TransactionalStateOperation(
                operationType="upsert",
                request=common_pb2.StateItem(key="key1", value=b'{"a":1}', metadata=meta),
            ),
        ]
        request = state_pb2.ExecuteStateTransactionRequest(storeName="store", operations=ops)
        await stub.ExecuteStateTransaction(request)
    event = (await h.app.next()).json()
    assert (event["data"], event["contentType"]) == ({"a": 1}, "application/json")


@pytest.mark.parametrize("kind", ["state.sqlite", "state.redis", "state.postgresql"])
async def test_every_store_publishes_after_its_commit(
    harness: HarnessFactory, request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    h = await harness(subscriptions=SUB, extra_yaml=_store_yaml(kind, request, tmp_path))
    key = f"k-{uuid.uuid4().hex[:8]}"
    ops = [_upsert(key, "stored"), _upsert(key, "sent", **{"outbox.projection": "true"})]
    assert (await h.client.post(TXN, json={"operations": ops})).status_code == 204
    assert (await h.app.next()).json()["data"] == "sent"
    assert (await h.client.get(f"/v1.0/state/store/{key}")).json() == "stored"
    stale = {"operation": "upsert", "request": {"key": key, "value": "x", "etag": "9"}}
    assert (await h.client.post(TXN, json={"operations": [stale]})).status_code >= 400
    await h.client.post(TXN, json={"operations": [_upsert(key, "next")]})
    assert (await h.app.next()).json()["data"] == "next"
    await h.runtime.drain()
    marker = _outbox(h).pending
    assert marker == {}


async def test_on_pubsub_redis(harness: HarnessFactory, request: pytest.FixtureRequest) -> None:
    host = request.getfixturevalue("redis_server").host
    components = [("pubsub", f"[{{name: redisHost, value: '{host}'}}]")]
    h = await harness(
        subscriptions=SUB,
        components=components,
        component_type="pubsub.redis",
        extra_yaml=STORE.format(pubsub="pubsub"),
        app_id=f"a{uuid.uuid4().hex[:8]}",
    )
    await h.client.post(TXN, json={"operations": [_upsert("k", "on redis")]})
    assert (await h.app.next()).json()["data"] == "on redis"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("s", "s"),
        (True, "true"),
        (None, "<nil>"),
        (100000, "100000"),
        (1000000, "1e+06"),
        (123456789, "1.23456789e+08"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.5, "-2.5"),
        ({"b": [1, "x"], "a": {}}, "map[a:map[] b:[1 x]]"),
    ],
)
def test_go_sprint(value: object, text: str) -> None:
    assert go_sprint(value) == text.encode()
