"""GET /_sidecar/: the sidecar's jobs, actors and components as an HTML page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from sidecar._config import SidecarConfig
from sidecar.clock import ManualClock
from tests.sidecar._inprocess import in_process


async def test_the_page_lists_jobs_with_next_fire_attempts_and_failure_policy(
    client: httpx.AsyncClient,
) -> None:
    policy = {"constant": {"interval": "5s", "maxRetries": 7}}
    body = {"dueTime": "2027-01-15T10:00:00Z", "failurePolicy": policy, "data": {"x": 1}}
    assert (await client.post("/v1.0-alpha1/jobs/report", json=body)).status_code == 204
    body = {"schedule": "@every 1h", "repeats": 3, "failurePolicy": {"drop": {}}}
    assert (await client.post("/v1.0-alpha1/jobs/hourly", json=body)).status_code == 204
    response = await client.get("/_sidecar/")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Sidecar of <code>myapp</code>" in page and "Jobs (2)" in page
    report = page[page.index("<code>report</code>") :].split("</tr>", 1)[0]
    assert "2027-01-15T10:00:00Z" in report and "constant, every 5s, 7 retries" in report
    hourly = page[page.index("<code>hourly</code>") :].split("</tr>", 1)[0]
    assert "@every 1h" in hourly and "drop" in hourly
    assert "No actor types hosted" in page


COMPONENT = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: kv}
spec: {type: state.in-memory, version: v1, metadata: []}
"""


async def test_the_page_lists_the_loaded_components(
    config: SidecarConfig, clock: ManualClock, tmp_path: Path
) -> None:
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "kv.yaml").write_text(COMPONENT)
    config = replace(config, resources_paths=(tmp_path / "res",))
    async with in_process(config, clock, follow_redirects=True) as (_, client):
        page = (await client.get("/_sidecar")).text  # redirected to /_sidecar/
    assert "<td>kv</td><td>state.in-memory</td><td>v1</td>" in page


@pytest.fixture
async def guarded(config: SidecarConfig, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(replace(config, api_token="s3cret"), clock, follow_redirects=True) as (
        _,
        c,
    ):
        yield c


async def test_with_an_api_token_the_page_needs_it_as_the_other_sidecar_routes(
    guarded: httpx.AsyncClient,
) -> None:
    refused = await guarded.get("/_sidecar/")
    assert (refused.status_code, refused.text) == (401, "invalid api token\n")
    allowed = await guarded.get("/_sidecar/", headers={"dapr-api-token": "s3cret"})
    assert allowed.status_code == 200
