"""``pubsub.redis`` on the session's redis-server: contrib's stream layout, the consumer group,
acknowledgement, redelivery across a restart, trimming, dead letters and a lost server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from sidecar._config import SidecarConfig
from sidecar._runner import free_port
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock
from sidecar.components import ComponentError
from sidecar.jobs import MemoryJobStore
from sidecar.pubsub import PubSubRuntime
from tests._servers import RedisServer

from .conftest import COMPONENT, TIMEOUT, HarnessFactory

SUBS = [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]


def _meta(host: str, **extra: str) -> str:
    items = [{"name": "redisHost", "value": host}]
    items += [{"name": k, "value": v} for k, v in extra.items()]
    return json.dumps(items)


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=redis_server.port)
    await client.flushdb()
    yield client
    await client.aclose()


async def _pending(raw: aioredis.Redis, topic: str, group: str) -> int:
    summary = await raw.xpending(topic, group)
    return int(summary["pending"])


async def test_a_message_is_a_stream_entry_delivered_and_acknowledged(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    h = await harness(SUBS, [("pubsub", _meta(redis_server.host))], component_type="pubsub.redis")
    r = await h.publish("/v1.0/publish/pubsub/orders?metadata.k=v", b'{"n":1}', headers=_JSON)
    assert r.status_code == 204, r.text
    delivery = await h.app.next()
    assert (delivery.path, delivery.json()["data"]) == ("/orders", {"n": 1})
    [(_, fields)] = await raw.xrange("orders")
    assert json.loads(fields[b"data"])["data"] == {"n": 1}
    assert json.loads(fields[b"metadata"]) == {"k": "v"}
    await h.runtime.drain()
    groups = await raw.xinfo_groups("orders")
    assert [g["name"] for g in groups] == [b"a"]  # consumerID defaults to the app id
    assert await _pending(raw, "orders", "a") == 0


async def test_consumer_id_names_the_group(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    meta = _meta(redis_server.host, consumerID="workers")
    await harness(SUBS, [("pubsub", meta)], component_type="pubsub.redis")
    assert [g["name"] for g in await raw.xinfo_groups("orders")] == [b"workers"]


async def test_published_while_the_subscriber_is_down_is_delivered_after_it_restarts(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    comps = [("pubsub", _meta(redis_server.host))]
    first = await harness(SUBS, comps, component_type="pubsub.redis")
    await first.sidecar.stop()
    publisher = await harness(None, comps, component_type="pubsub.redis", app_id="publisher")
    r = await publisher.publish("/v1.0/publish/pubsub/orders", b'{"late":true}', headers=_JSON)
    assert r.status_code == 204, r.text
    again = await harness(SUBS, comps, component_type="pubsub.redis")
    assert (await again.app.next()).json()["data"] == {"late": True}


async def test_a_delivery_cut_off_by_a_stop_is_redelivered_after_the_restart(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    comps = [("pubsub", _meta(redis_server.host, processingTimeout="300", redeliverInterval="50"))]
    first = await harness(SUBS, comps, component_type="pubsub.redis")
    first.app.gates["/orders"] = asyncio.Event()  # the app hangs on it
    await first.publish("/v1.0/publish/pubsub/orders", b'{"n":7}', headers=_JSON)
    assert (await first.app.next()).json()["data"] == {"n": 7}
    await first.sidecar.stop()
    assert await _pending(raw, "orders", "a") == 1  # never acknowledged
    second = await harness(SUBS, comps, component_type="pubsub.redis")
    assert (await second.app.next()).json()["data"] == {"n": 7}
    first.app.gates["/orders"].set()


async def test_a_retry_answer_goes_to_the_dead_letter_topic_and_is_acknowledged(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    subs = [{**SUBS[0], "deadLetterTopic": "dead"}]
    subs.append({"pubsubname": "pubsub", "topic": "dead", "route": "/dead"})
    comps = [("pubsub", _meta(redis_server.host))]
    h = await harness(subs, comps, component_type="pubsub.redis", responses={"/orders": (500, b"")})
    await h.publish("/v1.0/publish/pubsub/orders", b'{"n":2}', headers=_JSON)
    paths = {(await h.app.next()).path, (await h.app.next()).path}
    assert paths == {"/orders", "/dead"}
    await h.runtime.drain()
    assert await _pending(raw, "orders", "a") == 0


async def test_max_len_approx_trims_the_stream(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    comps = [("pubsub", _meta(redis_server.host, maxLenApprox="10"))]
    h = await harness(None, comps, component_type="pubsub.redis")
    for n in range(300):
        await h.publish("/v1.0/publish/pubsub/log", str(n).encode(), headers=_JSON)
    assert await raw.xlen("log") < 300


async def test_the_component_lists_no_capabilities(
    harness: HarnessFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    h = await harness(None, [("pubsub", _meta(redis_server.host))], component_type="pubsub.redis")
    meta = (await h.client.get("/v1.0/metadata")).json()
    assert meta["components"] == [
        {"name": "pubsub", "type": "pubsub.redis", "version": "v1", "capabilities": []}
    ]


async def test_an_unreachable_server_fails_start_up(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    folder = tmp_path / "resources"
    folder.mkdir()
    text = COMPONENT.format(name="pubsub", metadata=_meta(address), type="pubsub.redis")
    (folder / "pubsub.yaml").write_text(text)
    config = SidecarConfig(app_id="a", http_port=0, home=tmp_path / "h", resources_paths=(folder,))
    sidecar = Sidecar(
        config, clock=ManualClock(0), job_store=MemoryJobStore(), extensions=[PubSubRuntime]
    )
    with pytest.raises(ComponentError) as info:
        async with sidecar:
            pass
    message = str(info.value)
    assert message.startswith(f"{folder / 'pubsub.yaml'}: process component pubsub error: ")
    assert f"redis streams: error connecting to redis at {address}" in message


async def test_a_lost_server_fails_publish_and_delivery_recovers_when_it_returns(
    harness: HarnessFactory, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "lost", persist=True).start()
    server.wait_ready()
    comps = [("pubsub", _meta(server.host, readTimeout="200"))]
    try:
        h = await harness(SUBS, comps, component_type="pubsub.redis")
        server.stop()
        r = await h.publish("/v1.0/publish/pubsub/orders", b'{"n":1}', headers=_JSON)
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_PUBSUB_PUBLISH_MESSAGE")
        assert "redis streams: error from publish" in r.json()["message"]
        server = RedisServer(tmp_path / "lost", persist=True, port=server.port).start()
        server.wait_ready()
        r = await h.publish("/v1.0/publish/pubsub/orders", b'{"n":2}', headers=_JSON)
        assert r.status_code == 204, r.text
        delivery = await asyncio.wait_for(h.app.next(), TIMEOUT * 3)
        assert delivery.json()["data"] == {"n": 2}
    finally:
        server.stop()


_JSON = {"content-type": "application/json"}
