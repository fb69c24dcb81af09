"""Real daprd and the local runtime on one Redis: a message daprd publishes reaches a subscriber
of the local runtime, and both write the same stream entry (fields ``data`` and ``metadata``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from tests._servers import RedisServer
from tests.realdapr.test_store_interop import _AppLessDaprd

from .conftest import HarnessFactory

pytestmark = [pytest.mark.daprd, pytest.mark.integration]

PUBSUB = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.redis
  version: v1
  metadata:
  - name: redisHost
    value: "{host}"
"""
SUBS = [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=redis_server.port)
    await client.flushdb()
    yield client
    await client.aclose()


async def test_daprd_publishes_and_the_local_runtime_delivers(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis, tmp_path: Path
) -> None:
    folder = tmp_path / "daprd-resources"
    folder.mkdir()
    (folder / "pubsub.yaml").write_text(PUBSUB.format(host=redis_server.host))
    meta = json.dumps([{"name": "redisHost", "value": redis_server.host}])
    h = await harness(SUBS, [("pubsub", meta)], component_type="pubsub.redis")
    with _AppLessDaprd(tmp_path / "logs", folder).start() as daprd:
        daprd.wait_ready()
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(
                f"{daprd.url}/v1.0/publish/pubsub/orders?metadata.k=v", json={"by": "daprd"}
            )
        assert r.status_code == 204, r.text
        got = await h.app.next()
        assert (got.path, got.json()["data"], got.json()["source"]) == (
            "/orders",
            {"by": "daprd"},
            "interop",
        )
    ours = await h.publish(
        "/v1.0/publish/pubsub/orders?metadata.k=v",
        b'{"by":"local"}',
        headers={"content-type": "application/json"},
    )
    assert ours.status_code == 204
    assert (await h.app.next()).json()["data"] == {"by": "local"}
    theirs_entry, ours_entry = [fields for _, fields in await raw.xrange("orders")]
    assert set(theirs_entry) == set(ours_entry) == {b"data", b"metadata"}
    assert json.loads(theirs_entry[b"metadata"]) == json.loads(ours_entry[b"metadata"])
