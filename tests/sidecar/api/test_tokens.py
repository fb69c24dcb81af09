"""DAPR_API_TOKEN on the sidecar's API (dapr-sidecar.md §8)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from sidecar._config import SidecarConfig
from sidecar.clock import ManualClock
from tests.sidecar._inprocess import in_process


@pytest.fixture
async def guarded(config: SidecarConfig, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(replace(config, api_token="s3cret"), clock) as (_, c):
        yield c


@pytest.mark.parametrize("headers", [{}, {"dapr-api-token": "wrong"}])
async def test_missing_or_wrong_token_is_401_plain_text(
    guarded: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in [
        ("POST", "/v1.0/jobs/j"),
        ("GET", "/v1.0/metadata"),
        ("GET", "/v1.0/invoke/x/method/y"),
    ]:
        r = await guarded.request(method, path, headers=headers, json={"dueTime": "1s"})
        assert r.status_code == 401
        assert r.text == "invalid api token\n"
        assert r.headers["content-type"].startswith("text/plain")


async def test_right_token_passes_and_health_is_exempt(guarded: httpx.AsyncClient) -> None:
    ok = {"dapr-api-token": "s3cret"}
    assert (
        await guarded.post("/v1.0/jobs/j", json={"dueTime": "1s"}, headers=ok)
    ).status_code == 204
    assert (await guarded.get("/v1.0/jobs/j", headers=ok)).status_code == 200
    assert (await guarded.get("/v1.0/healthz")).status_code == 204
    assert (await guarded.get("/v1.0/healthz/outbound")).status_code == 204
