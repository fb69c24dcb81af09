"""The dev clock extension: it moves forward, and refuses (changing nothing) what it cannot do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from sidecar._config import SidecarConfig
from sidecar.clock import DevClock
from tests.sidecar._inprocess import in_process


@pytest.fixture
async def dev(config: SidecarConfig) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(replace(config, dev_clock=True), DevClock()) as (_, c):
        yield c


async def test_advance_moves_virtual_time(dev: httpx.AsyncClient) -> None:
    r = await dev.post("/_sidecar/v1/clock/advance", json={"duration": "72h"})
    assert r.status_code == 200
    assert r.json()["offsetSeconds"] == 72 * 3600


@pytest.mark.parametrize(
    "body",
    [{"seconds": 1e300}, {"seconds": 300_000_000_000}, {"duration": "9999999h"}, {"seconds": -1}],
)
async def test_advance_past_year_9999_or_back_is_400_and_moves_nothing(
    dev: httpx.AsyncClient, body: dict[str, object]
) -> None:
    r = await dev.post("/_sidecar/v1/clock/advance", json={"duration": "1h"})
    before = r.json()
    r = await dev.post("/_sidecar/v1/clock/advance", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "ERR_BAD_REQUEST"
    after = await dev.get("/_sidecar/v1/clock")
    assert after.status_code == 200
    assert after.json()["offsetSeconds"] == before["offsetSeconds"]
    assert (await dev.post("/v1.0/jobs/j", json={"dueTime": "1s"})).status_code == 204
