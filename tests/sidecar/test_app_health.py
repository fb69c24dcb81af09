"""App health checks: the probe's thresholds, and what an unhealthy app gets (nothing)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sidecar._app_health import AppHealthProbe, HealthSettings
from sidecar._http_channel import HttpAppChannel
from sidecar.app_channel import AppChannelError, AppRequest, AppTarget
from sidecar.clock import ManualClock
from sidecar.jobs import JobRecord, JobSpec, MemoryJobStore, Outcome, Scheduler

OWNER = "app||default||myapp"


def _probe(answers: list[int], changes: list[bool]) -> AppHealthProbe:
    def reply(request: httpx.Request) -> httpx.Response:
        assert "dapr-api-token" not in request.headers  # probes carry no token
        return httpx.Response(answers.pop(0))

    client = httpx.AsyncClient(transport=httpx.MockTransport(reply))
    channel = HttpAppChannel(client, AppTarget("app", 80, "a", "secret"))
    return AppHealthProbe(channel.probe_health, "a", HealthSettings(threshold=3), changes.append)


async def test_unhealthy_after_three_failures_in_a_row_healthy_after_one_success() -> None:
    changes: list[bool] = []
    probe = _probe([500, 500, 200, 503, 500, 500, 500, 204], changes)
    for _ in range(7):
        probe.record(await probe.probe_once())
    assert changes == [False]
    probe.record(await probe.probe_once())
    assert changes == [False, True]


async def test_unhealthy_app_channel_fails_fast() -> None:
    calls: list[str] = []
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: calls.append(r.url.path) or httpx.Response(200))
    )
    channel = HttpAppChannel(client, AppTarget("127.0.0.1", 1, "a"))
    channel.healthy = False
    with pytest.raises(AppChannelError, match="app is not in a healthy state"):
        await channel.invoke(AppRequest("POST", "job/j"))
    assert not await channel.trigger_job("j", None)
    assert calls == []


async def test_paused_scheduler_delivers_nothing_and_resumes_where_it_was() -> None:
    clock = ManualClock(1000.0)
    store = MemoryJobStore()
    s = Scheduler(store, clock)
    delivered = asyncio.Event()

    async def app(record: JobRecord) -> Outcome:
        delivered.set()
        return Outcome.SUCCESS

    s.serve(OWNER, app)
    await store.put(JobRecord(OWNER, "j", JobSpec(due_time="0s"), 1000, 1000, 1000), overwrite=True)
    s.pause()
    assert await s.run_due() == 0
    assert await store.get(OWNER, "j") is not None  # waits, unclaimed, no attempt spent
    async with s:
        s.resume()
        async with asyncio.timeout(5):
            await delivered.wait()
