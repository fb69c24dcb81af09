"""Real daprd and the local runtime on one Redis server: each reads what the other wrote, with the
same ETags, and both refuse a stale ETag the same way (answers recorded from daprd 1.18.3)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests._servers import RedisServer
from tests.integration._processes import SidecarProcess

from ._procs import Daprd

pytestmark = [pytest.mark.daprd, pytest.mark.integration]

APP = "interop"
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
"""


class _AppLessDaprd(Daprd):
    """daprd with no app, no placement and no scheduler: only its state API is used."""

    def __init__(self, logs: Path, resources: Path) -> None:
        super().__init__(
            logs, APP, app_port=0, resources=resources, config=Path(), placement="", scheduler=""
        )
        drop = {"--app-port", "--config", "--placement-host-address", "--scheduler-host-address"}
        keep: list[str] = []
        for arg in self.args:
            if keep and keep[-1] in drop:
                keep.pop()
                continue
            keep.append(arg)
        self.args = keep


@pytest.fixture
def resources(tmp_path: Path, redis_server: RedisServer) -> Path:
    with redis.Redis(host="127.0.0.1", port=redis_server.port) as raw:
        raw.flushdb()
    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / "redis.yaml").write_text(COMPONENT.format(host=redis_server.host))
    return folder


@pytest.fixture
def daprd(tmp_path: Path, resources: Path) -> Iterator[str]:
    with _AppLessDaprd(tmp_path / "logs", resources).start() as proc:
        proc.wait_ready()
        yield f"{proc.url}/v1.0/state/statestore"


@pytest.fixture
async def local(tmp_path: Path, resources: Path) -> AsyncIterator[str]:
    args = ("--resources-path", str(resources))
    sidecar = SidecarProcess.for_app(tmp_path / "home", APP, None, *args).start()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await sidecar.wait_healthy(client)
        yield f"{sidecar.url}/v1.0/state/statestore"
    finally:
        sidecar.stop()


async def _save(client: httpx.AsyncClient, url: str, item: dict[str, object]) -> httpx.Response:
    return await client.post(url, json=[item])


async def test_each_runtime_reads_what_the_other_wrote(daprd: str, local: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        assert (
            await _save(client, daprd, {"key": "a", "value": {"by": "daprd"}})
        ).status_code == 204
        got = await client.get(f"{local}/a")
        assert (got.json(), got.headers["etag"]) == ({"by": "daprd"}, "1")
        item = {"key": "a", "value": "local", "etag": "1"}
        assert (await _save(client, local, item)).status_code == 204
        back = await client.get(f"{daprd}/a")
        assert (back.json(), back.headers["etag"]) == ("local", "2")
        bulk = await client.post(f"{daprd}/bulk", json={"keys": ["a"]})
        assert bulk.json() == [{"key": "a", "data": "local", "etag": "2"}]


@pytest.mark.parametrize(
    ("item", "status"),
    [
        ({"key": "s", "value": 2, "etag": "5"}, 409),
        ({"key": "s", "value": 2, "etag": "abc"}, 400),
        ({"key": "s", "value": 2}, 500),  # "s" was written with first-write concurrency
    ],
    ids=["stale", "not-a-number", "after-first-write"],
)
async def test_refusals_answer_as_daprd(
    daprd: str, local: str, item: dict[str, object], status: int
) -> None:
    first = {"key": "s", "value": 1, "options": {"concurrency": "first-write"}}
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await _save(client, daprd, first)).status_code == 204
        theirs, ours = await _save(client, daprd, item), await _save(client, local, item)
    assert (theirs.status_code, theirs.json()["errorCode"]) == (status, "ERR_STATE_SAVE")
    assert (ours.status_code, ours.json()["errorCode"]) == (status, "ERR_STATE_SAVE")
    prefix = theirs.json()["message"].split(" ERR user_script")[0]
    assert ours.json()["message"].startswith(prefix.removesuffix(":")), (theirs.text, ours.text)
