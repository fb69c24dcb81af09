"""A real sidecar process with a ``lock.redis`` component on a real redis-server: the lock API over
gRPC (the SDK's ``DaprClient``) and HTTP, daprd's key layout and expiry, its refusals, and the
metadata listing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import httpx
import pytest
import redis.asyncio as aioredis
from dapr.clients import DaprClient
from dapr.clients.grpc._response import UnlockResponseStatus
from dapr.conf import settings
from dapr.proto.runtime.v1 import dapr_pb2_grpc, lock_pb2

from sidecar._runner import free_port
from tests._servers import RedisServer
from tests.integration._processes import SidecarProcess

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:The Distributed Lock API is an Alpha:UserWarning"),
]

COMPONENT = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: lockstore
spec:
  type: lock.redis
  metadata:
  - name: redisHost
    value: "{host}"
"""


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


def _start(tmp_path: Path, host: str) -> SidecarProcess:
    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / "lock.yaml").write_text(COMPONENT.format(host=host))
    args = ("--resources-path", str(folder))
    return SidecarProcess.for_app(tmp_path / "home", "myapp", None, *args).start()


@pytest.fixture
async def sidecar(
    tmp_path: Path, redis_server: RedisServer, http: httpx.AsyncClient
) -> AsyncIterator[SidecarProcess]:
    proc = _start(tmp_path, redis_server.host)
    try:
        await proc.wait_healthy(http)
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def client(sidecar: SidecarProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[DaprClient]:
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", sidecar.url)
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", None)
    with DaprClient(address=f"127.0.0.1:{sidecar.grpc_port}") as dapr:
        yield dapr


async def test_sdk_lock_contention_and_unlock(client: DaprClient, raw: aioredis.Redis) -> None:
    assert client.try_lock("lockstore", "res", "alice", 60).success
    assert not client.try_lock("lockstore", "res", "bob", 60).success
    assert await raw.get("lock||myapp||res") == "alice"
    assert 0 < await raw.ttl("lock||myapp||res") <= 60
    wrong = client.unlock("lockstore", "res", "bob").status
    assert wrong == UnlockResponseStatus.lock_belongs_to_others
    assert client.unlock("lockstore", "res", "alice").status == UnlockResponseStatus.success
    missing = client.unlock("lockstore", "res", "alice").status
    assert missing == UnlockResponseStatus.lock_does_not_exist
    assert client.try_lock("lockstore", "res", "bob", 60).success


async def test_an_expired_lock_is_free_again(client: DaprClient, raw: aioredis.Redis) -> None:
    assert client.try_lock("lockstore", "res", "alice", 1).success
    assert await raw.ttl("lock||myapp||res") == 1
    await raw.delete("lock||myapp||res")  # what Redis does when the second has passed
    assert client.try_lock("lockstore", "res", "bob", 5).success


@pytest.mark.parametrize(
    ("request_fields", "code", "message"),
    [
        ({"resource_id": "r", "lock_owner": "o"}, "INVALID_ARGUMENT", "ExpiryInSeconds is not"),
        ({"lock_owner": "o", "expiry_in_seconds": 5}, "INVALID_ARGUMENT", "ResourceId is empty"),
        ({"resource_id": "r", "expiry_in_seconds": 5}, "INVALID_ARGUMENT", "LockOwner is empty"),
        ({"store_name": "nope", "resource_id": "r", "lock_owner": "o", "expiry_in_seconds": 5},
         "INVALID_ARGUMENT", "lock store nope not found"),
        ({"resource_id": "a||b", "lock_owner": "o", "expiry_in_seconds": 5},
         "INTERNAL", "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain"),
    ],
)  # fmt: skip
async def test_grpc_refusals_as_daprd(
    sidecar: SidecarProcess, raw: aioredis.Redis, request_fields: dict, code: str, message: str
) -> None:
    fields = {"store_name": "lockstore", **request_fields}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{sidecar.grpc_port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await dapr_pb2_grpc.DaprStub(channel).TryLockAlpha1(lock_pb2.TryLockRequest(**fields))
    assert caught.value.code().name == code
    assert message in (caught.value.details() or "")
    assert await raw.keys("*") == []


async def test_http_routes(sidecar: SidecarProcess, http: httpx.AsyncClient) -> None:
    lock = f"{sidecar.url}/v1.0-alpha1/lock/lockstore"
    unlock = f"{sidecar.url}/v1.0-alpha1/unlock/lockstore"
    body = {"resourceId": "r", "lockOwner": "o", "expiryInSeconds": 30}
    assert (await http.post(lock, json=body)).json() == {"success": True}
    assert (await http.post(lock, json=body)).json() == {"success": False}
    owner = {"resourceId": "r", "lockOwner": "x"}
    assert (await http.post(unlock, json=owner)).json() == {"status": 2}
    assert (await http.post(unlock, json={**owner, "lockOwner": "o"})).json() == {"status": 0}
    assert (await http.post(unlock, json={**owner, "lockOwner": "o"})).json() == {"status": 1}


async def test_http_refusals(sidecar: SidecarProcess, http: httpx.AsyncClient) -> None:
    answer = await http.post(f"{sidecar.url}/v1.0-alpha1/lock/lockstore", json={"lockOwner": "o"})
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "ERR_MALFORMED_REQUEST"
    assert "ExpiryInSeconds is not positive" in answer.json()["message"]
    body = {"resourceId": "r", "lockOwner": "o"}
    answer = await http.post(f"{sidecar.url}/v1.0-alpha1/unlock/nope", json=body)
    assert (answer.status_code, answer.json()["errorCode"]) == (400, "ERR_LOCK_STORE_NOT_FOUND")
    answer = await http.post(f"{sidecar.url}/v1.0-alpha1/lock/lockstore", content=b"{")
    assert (answer.status_code, answer.json()["errorCode"]) == (400, "ERR_MALFORMED_REQUEST")


async def test_metadata_lists_the_lock_store(client: DaprClient) -> None:
    found = [c for c in client.get_metadata().registered_components if c.name == "lockstore"]
    assert [(c.type, c.version, c.capabilities) for c in found] == [("lock.redis", "", [])]


async def test_unreachable_redis_is_a_fatal_start_error(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    proc = _start(tmp_path, address)
    try:
        assert await proc.wait_exit() != 0, proc.describe()
    finally:
        proc.stop()
    expected = (
        "process component lockstore error: [INIT_COMPONENT_FAILURE]: initialization error occurred"
        " for lockstore (lock.redis/v1): [standaloneRedisLock]: error connecting to redis at "
        + address
    )
    assert expected in proc.output(), proc.output()
    assert str(tmp_path / "resources" / "lock.yaml") in proc.output()
