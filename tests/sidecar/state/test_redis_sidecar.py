"""A real sidecar process with a ``state.redis`` component: daprd's key layout on the server, and
daprd's fatal start-up error when the server cannot be reached."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from sidecar._runner import free_port
from tests._servers import RedisServer
from tests.integration._processes import SidecarProcess

pytestmark = [pytest.mark.integration]

COMPONENT = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.redis
  version: v1
  metadata:
  - name: redisHost
    value: "{host}"
  - name: actorStateStore
    value: "true"
"""


def _resources(tmp_path: Path, host: str) -> Path:
    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / "redis.yaml").write_text(COMPONENT.format(host=host))
    return folder


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=redis_server.port)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def sidecars() -> Iterator[list[SidecarProcess]]:
    started: list[SidecarProcess] = []
    yield started
    for proc in started:
        proc.stop()


def _sidecar(tmp_path: Path, host: str, started: list[SidecarProcess]) -> SidecarProcess:
    folder = _resources(tmp_path, host)
    args = ("--resources-path", str(folder))
    sidecar = SidecarProcess.for_app(tmp_path / "home", "myapp", None, *args).start()
    started.append(sidecar)
    return sidecar


async def test_state_api_writes_daprds_layout(
    tmp_path: Path,
    redis_server: RedisServer,
    http: httpx.AsyncClient,
    raw: aioredis.Redis,
    sidecars: list[SidecarProcess],
) -> None:
    sidecar = _sidecar(tmp_path, redis_server.host, sidecars)
    await sidecar.wait_healthy(http)
    save = await http.post(
        f"{sidecar.url}/v1.0/state/statestore", json=[{"key": "k", "value": {"n": 1}}]
    )
    assert save.status_code == 204, save.text
    assert await raw.hgetall("myapp||k") == {b"data": b'{"n":1}', b"version": b"1"}
    got = await http.get(f"{sidecar.url}/v1.0/state/statestore/k")
    assert (got.status_code, got.json(), got.headers["etag"]) == (200, {"n": 1}, "1")
    stale = [{"key": "k", "value": 2, "etag": "5"}]
    conflict = await http.post(f"{sidecar.url}/v1.0/state/statestore", json=stale)
    assert (conflict.status_code, conflict.json()["errorCode"]) == (409, "ERR_STATE_SAVE")
    meta = (await http.get(f"{sidecar.url}/v1.0/metadata")).json()
    listed = {c["name"]: c for c in meta["components"]}["statestore"]
    assert listed["type"] == "state.redis"
    assert listed["capabilities"] == ["ETAG", "TRANSACTIONAL", "TTL", "KEYS_LIKE", "ACTOR"]


async def test_unreachable_server_is_a_fatal_start_error_naming_file_and_address(
    tmp_path: Path, sidecars: list[SidecarProcess]
) -> None:
    address = f"127.0.0.1:{free_port()}"
    sidecar = _sidecar(tmp_path, address, sidecars)
    assert await sidecar.wait_exit() != 0, sidecar.describe()
    output = sidecar.output()
    assert str(tmp_path / "resources" / "redis.yaml") in output, output
    expected = (
        "process component statestore error: [INIT_COMPONENT_FAILURE]: initialization error "
        "occurred for statestore (state.redis/v1): redis store: error connecting to redis at "
        f"{address}"
    )
    assert expected in output, output
