"""Real daprd and the local runtime on one Redis server, and on one PostgreSQL table: each reads
what the other wrote, with the same ETags, and both refuse bad writes the same way (compared
with daprd 1.18.3's answers in the same run)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from tests._servers import PostgresServer, RedisServer
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
  type: {type}
  version: v1
  metadata:
  - name: {name}
    value: "{value}"
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


def _redis(request: pytest.FixtureRequest) -> str:
    server: RedisServer = request.getfixturevalue("redis_server")
    with redis.Redis(host="127.0.0.1", port=server.port) as raw:
        raw.flushdb()
    return COMPONENT.format(type="state.redis", name="redisHost", value=server.host)


def _postgres(request: pytest.FixtureRequest) -> str:
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS state, dapr_metadata")
    return COMPONENT.format(type="state.postgresql", name="connectionString", value=server.dsn)


@pytest.fixture(params=["redis", "postgresql"])
def resources(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    component = _redis(request) if request.param == "redis" else _postgres(request)
    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / "store.yaml").write_text(component)
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
        theirs = await client.get(f"{daprd}/a")
        got = await client.get(f"{local}/a")
        assert (got.json(), got.headers["etag"]) == ({"by": "daprd"}, theirs.headers["etag"])
        item = {"key": "a", "value": "local", "etag": got.headers["etag"]}
        assert (await _save(client, local, item)).status_code == 204
        back = await client.get(f"{daprd}/a")
        ours = await client.get(f"{local}/a")
        assert (back.json(), back.headers["etag"]) == ("local", ours.headers["etag"])
        assert back.headers["etag"] != got.headers["etag"]
        bulk = await client.post(f"{daprd}/bulk", json={"keys": ["a"]})
        assert bulk.json() == [{"key": "a", "data": "local", "etag": ours.headers["etag"]}]


@pytest.mark.parametrize(
    ("item", "status"),
    [
        ({"key": "s", "value": 2, "etag": "5"}, 409),  # not the current ETag on either store
        ({"key": "s", "value": 2, "etag": "abc"}, 400),
        ({"key": "s", "value": 2}, 500),  # redis: "s" was written with first-write concurrency
        ({"key": "s", "value": 2, "options": {"concurrency": "first-write"}}, 500),
    ],
    ids=["stale", "not-a-number", "after-first-write", "first-write-again"],
)
async def test_refusals_answer_as_daprd(
    daprd: str, local: str, item: dict[str, object], status: int
) -> None:
    first = {"key": "s", "value": 1, "options": {"concurrency": "first-write"}}
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await _save(client, daprd, first)).status_code == 204
        theirs, ours = await _save(client, daprd, item), await _save(client, local, item)
    if theirs.status_code == 204:  # postgresql: a plain write after a first-write goes through
        assert ours.status_code == 204, ours.text
        return
    assert (theirs.status_code, theirs.json()["errorCode"]) == (status, "ERR_STATE_SAVE")
    assert (ours.status_code, ours.json()["errorCode"]) == (status, "ERR_STATE_SAVE")
    prefix = theirs.json()["message"].split(" ERR user_script")[0]
    assert ours.json()["message"].startswith(prefix.removesuffix(":")), (theirs.text, ours.text)
