"""End to end: real sidecar processes (real daprd under ``--runtime dapr``), a real app process,
real HTTP, a real scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ._processes import WAIT
from ._support import RecordingApp, Sidecar, sidecar_for_app

pytestmark = pytest.mark.integration


@pytest.fixture
def app(tmp_path: Path) -> Iterator[RecordingApp]:
    recorder = RecordingApp(tmp_path).start()
    yield recorder
    recorder.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=WAIT) as c:  # a loaded machine answers slowly
        yield c


@pytest.fixture
def sidecars() -> Iterator[list[Sidecar]]:
    started: list[Sidecar] = []
    yield started
    for sc in started:
        sc.stop()


async def test_job_is_delivered_to_a_real_app(
    tmp_path: Path, app: RecordingApp, client: httpx.AsyncClient, sidecars: list[Sidecar]
) -> None:
    sc = sidecar_for_app(tmp_path / "home", "myapp", app.port).start()
    sidecars.append(sc)
    await sc.wait_healthy(client)
    r = await client.post(
        f"{sc.url}/v1.0/jobs/j1", json={"dueTime": "0s", "data": {"b": 1, "a": "x"}}
    )
    assert r.status_code == 204
    r = await client.post(f"{sc.url}/v1.0-alpha1/jobs/nodata", json={"dueTime": "0s"})
    assert r.status_code == 204

    async def delivered() -> list[dict[str, object]]:
        got = app.requests("/job/")
        return got if len(got) == 2 else []

    calls = {c["path"]: c for c in await sc.until(delivered, "both jobs at the app")}
    assert calls["/job/j1"]["method"] == "POST"
    assert calls["/job/j1"]["body"] == '{"a":"x","b":1}'
    assert calls["/job/j1"]["headers"]["content-type"] == "application/json"  # type: ignore[index]
    assert calls["/job/nodata"]["body"] == ""
    assert (await client.get(f"{sc.url}/v1.0/jobs/j1")).status_code == 500  # one-shot is gone


async def test_app_token_is_sent_with_each_trigger(
    tmp_path: Path, app: RecordingApp, client: httpx.AsyncClient, sidecars: list[Sidecar]
) -> None:
    env = {"APP_API_TOKEN": "app-secret"}
    sc = sidecar_for_app(tmp_path / "home", "myapp", app.port, env=env)
    sidecars.append(sc.start())
    await sc.wait_healthy(client)
    assert (await client.post(f"{sc.url}/v1.0/jobs/t", json={"dueTime": "0s"})).status_code == 204
    (call,) = await sc.until(lambda: _async(app.requests("/job/t")), "job t at the app")
    assert call["headers"]["dapr-api-token"] == "app-secret"


async def test_failing_app_gets_default_retries_then_job_is_dropped(
    tmp_path: Path, app: RecordingApp, client: httpx.AsyncClient, sidecars: list[Sidecar]
) -> None:
    app.answer(503)
    sc = sidecar_for_app(tmp_path / "home", "myapp", app.port).start()
    sidecars.append(sc)
    await sc.wait_healthy(client)
    assert (await client.post(f"{sc.url}/v1.0/jobs/f", json={"dueTime": "0s"})).status_code == 204

    async def gone() -> bool:
        return (await client.get(f"{sc.url}/v1.0/jobs/f")).status_code == 500

    await sc.until(gone, "job f to be dropped")
    attempts = app.requests("/job/f")
    assert len(attempts) == 4
    gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:], strict=False)]
    assert all(g >= 0.9 for g in gaps), gaps


async def test_kill9_loses_nothing_and_never_fires_early(
    tmp_path: Path, app: RecordingApp, client: httpx.AsyncClient, sidecars: list[Sidecar]
) -> None:
    home = tmp_path / "home"
    first = sidecar_for_app(home, "myapp", app.port).start()
    sidecars.append(first)
    await first.wait_healthy(client)
    due = datetime.now(UTC) + timedelta(seconds=3)
    names = [f"job-{i}" for i in range(20)]
    for name in names:
        body = {"dueTime": due.isoformat(), "data": name}
        assert (await client.post(f"{first.url}/v1.0/jobs/{name}", json=body)).status_code == 204
    first.kill9()

    second = sidecar_for_app(home, "myapp", app.port).start()
    sidecars.append(second)
    await second.wait_healthy(client)

    async def all_fired() -> list[dict[str, object]]:
        got = app.requests("/job/")
        return got if {r["path"] for r in got} == {f"/job/{n}" for n in names} else []

    fired = await second.until(all_fired, "every job to fire after the restart")
    assert len(fired) == len(names)  # each exactly once
    assert min(float(r["at"]) for r in fired) >= due.timestamp()  # type: ignore[arg-type]


async def test_jobs_wait_for_an_app_that_is_not_running(
    tmp_path: Path, client: httpx.AsyncClient, sidecars: list[Sidecar]
) -> None:
    late_app = RecordingApp(tmp_path, "late")
    sc = sidecar_for_app(tmp_path / "home", "myapp", late_app.port).start()
    sidecars.append(sc)
    await sc.wait_healthy(client, "/v1.0/healthz/outbound")
    assert (await client.post(f"{sc.url}/v1.0/jobs/w", json={"dueTime": "0s"})).status_code == 204
    late_app.start()
    try:
        await sc.until(lambda: _async(late_app.requests("/job/w")), "job w at the late app")
    finally:
        late_app.stop()


async def _async(value: object) -> object:
    return value


async def test_invocation_between_two_separately_started_sidecars(
    tmp_path: Path, app: RecordingApp, client: httpx.AsyncClient, sidecars: list[Sidecar]
) -> None:
    home = tmp_path / "home"
    target = sidecar_for_app(home, "target", app.port).start()
    caller = sidecar_for_app(home, "caller", None).start()
    sidecars += [target, caller]
    await target.wait_healthy(client)
    await caller.wait_healthy(client)
    r = await client.patch(
        f"{caller.url}/v1.0/invoke/target/method/items/7?x=1",
        content=b'{"v":1}',
        headers={"content-type": "application/json", "x-custom": "yes"},
    )
    assert r.status_code == 200
    assert r.headers["x-app"] == "recorder"
    (call,) = app.requests("/items/7")
    assert (
        call["method"] == "PATCH" and call["path"] == "/items/7?x=1" and call["body"] == '{"v":1}'
    )
    headers = call["headers"]
    assert headers["x-custom"] == "yes"  # type: ignore[index]
    assert headers["dapr-caller-app-id"] == "caller"  # type: ignore[index]
    assert headers["dapr-callee-app-id"] == "target"  # type: ignore[index]
    app.answer(503)
    r = await client.get(f"{caller.url}/items/8", headers={"dapr-app-id": "target"})
    assert r.status_code == 503 and r.json() == {"echo": "/items/8"}
    r = await client.get(f"{caller.url}/v1.0/invoke/nobody/method/x")
    assert r.status_code == 500 and r.json()["errorCode"] == "ERR_DIRECT_INVOKE"
