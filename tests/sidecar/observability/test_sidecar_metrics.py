"""A sidecar's metrics port, scraped over real HTTP after real API calls, against what daprd
1.18.3 exposes (``daprd_recorded.json``, ``python -m tests.realdapr.record_observability``)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from sidecar._config import SidecarConfig
from sidecar._dapr_config import load_config
from sidecar._runner import free_port
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock

RECORDED = json.loads(Path(__file__).with_name("daprd_recorded.json").read_text())["metrics"]
COMPONENTS = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.in-memory
  version: v1
  metadata:
    - name: actorStateStore
      value: "true"
"""
SERVED_FROM_DAPRD = {  # every daprd family this runtime has a counterpart for
    "dapr_http_server_request_count",
    "dapr_http_server_response_count",
    "dapr_http_server_latency",
    "dapr_http_server_request_bytes",
    "dapr_http_server_response_bytes",
    "dapr_http_client_completed_count",
    "dapr_http_client_roundtrip_latency",
    "dapr_http_client_sent_bytes",
    "dapr_http_client_received_bytes",
    "dapr_component_job_success_count",
    "dapr_component_job_latencies",
    "dapr_runtime_actor_pending_actor_calls",
    "dapr_runtime_component_init",
    "dapr_runtime_component_loaded",
}


class App:
    """A tiny app: hosts actor type T, answers jobs and actor calls 200, counts job triggers."""

    def __init__(self) -> None:
        self.jobs: asyncio.Queue[str] = asyncio.Queue()
        self.port = free_port()

    async def __aenter__(self) -> App:
        app = web.Application()
        app.router.add_get("/dapr/config", self._config)
        app.router.add_post("/job/{name}", self._job)
        app.router.add_route("*", "/{tail:.*}", self._ok)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    async def _config(self, request: web.Request) -> web.Response:
        return web.json_response({"entities": ["T"]})

    async def _job(self, request: web.Request) -> web.Response:
        await self.jobs.put(request.match_info["name"])
        return web.json_response({})

    async def _ok(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})


@pytest.fixture
async def app() -> AsyncIterator[App]:
    async with App() as started:
        yield started


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture
async def sidecar(tmp_path: Path, app: App, clock: ManualClock) -> AsyncIterator[Sidecar]:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "statestore.yaml").write_text(COMPONENTS)
    config = SidecarConfig(
        app_id="myapp",
        app_port=app.port,
        home=tmp_path / "home",
        http_port=0,
        metrics_port=0,
        resources_paths=(resources,),
    )
    async with Sidecar(config, clock=clock) as started:
        await asyncio.wait_for(started.ready.wait(), 30)
        yield started


async def scrape(sidecar: Sidecar) -> str:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{sidecar.metrics_port}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return answer.text


def families(text: str) -> dict[str, dict[str, Any]]:
    """As the recorder keeps daprd's: type, label names, sample names as written, bounds."""
    raw = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    out: dict[str, dict[str, Any]] = {}
    for family in text_string_to_metric_families(text):
        if not family.samples:  # declared, nothing recorded yet (daprd writes no such family)
            continue
        entry: dict[str, Any] = {"type": family.type}
        entry["labels"] = sorted({k for s in family.samples for k in s.labels if k != "le"})
        entry["samples"] = sorted(
            n for n in raw if n == family.name or n.startswith(family.name + "_")
        )
        bounds = sorted({float(s.labels["le"]) for s in family.samples if "le" in s.labels})
        if bounds:
            entry["buckets"] = [b for b in bounds if b != float("inf")]
        entry["series"] = [{k: v for k, v in s.labels.items() if k != "le"} for s in family.samples]
        out[family.name] = entry
    return out


def count_of(text: str, family: str, **labels: str) -> float:
    """The ``_count`` of a histogram series (0 when the series does not exist yet)."""
    for found in text_string_to_metric_families(text):
        for sample in found.samples:
            wanted = sample.name == f"{family}_count"
            if wanted and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def exercise(sidecar: Sidecar, app: App) -> None:
    api = f"http://127.0.0.1:{sidecar.http_port}"
    async with httpx.AsyncClient() as client:
        await client.post(f"{api}/v1.0/state/statestore", json=[{"key": "k", "value": 1}])
        await client.get(f"{api}/v1.0/state/statestore/k")
        await client.post(f"{api}/v1.0/invoke/myapp/method/echo", json={})
        await client.put(f"{api}/v1.0/actors/T/a1/method/echo", json={})
        await client.post(f"{api}/v1.0-alpha1/jobs/j1", json={"dueTime": "0s"})
    assert await asyncio.wait_for(app.jobs.get(), 30) == "j1"


async def test_served_dapr_families_match_daprds_names_labels_and_buckets(
    sidecar: Sidecar, app: App
) -> None:
    await exercise(sidecar, app)
    text = await scrape(sidecar)
    served = families(text)
    ours = {name for name in served if name.startswith("dapr_")}
    assert ours == SERVED_FROM_DAPRD
    for name in sorted(ours):
        recorded = RECORDED[name]
        for key in ("type", "labels", "samples", "buckets"):
            assert served[name].get(key) == recorded.get(key), (name, key)
    extensions = set(served) - ours
    assert extensions and all(name.startswith("sidecar_") for name in extensions), extensions


async def test_label_values_follow_daprd(sidecar: Sidecar, app: App) -> None:
    await exercise(sidecar, app)
    served = families(await scrape(sidecar))
    server = {
        (s["method"], s["path"], s["status"]) for s in served["dapr_http_server_latency"]["series"]
    }
    assert ("GET", "/v1.0/state/statestore", "200") in server
    assert ("PUT", "/v1.0/actors/T/{id}/method", "200") in server
    client = {
        (s["method"], s["path"]) for s in served["dapr_http_client_completed_count"]["series"]
    }
    assert {
        ("POST", "/job/{name}"),
        ("PUT", "actors/T/{id}/method/echo"),
        ("POST", "/echo"),
    } <= client
    (job,) = served["dapr_component_job_success_count"]["series"]
    assert job == {"app_id": "myapp", "namespace": "", "operation": "job_trigger_op"}
    assert {"actor_type": "T", "app_id": "myapp"} in served["sidecar_actor_turns"]["series"]
    assert {"app_id": "myapp", "component": "state.in-memory"} in served[
        "dapr_runtime_component_init"
    ]["series"]


async def test_a_late_fire_is_measured_and_logged_as_late(
    sidecar: Sidecar, app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    before = count_of(await scrape(sidecar), "sidecar_job_fire_lateness_seconds", kind="job")
    async with httpx.AsyncClient() as client:
        api = f"http://127.0.0.1:{sidecar.http_port}"
        r = await client.post(f"{api}/v1.0-alpha1/jobs/late", json={"dueTime": "10s"})
        assert r.status_code == 204, r.text
    with caplog.at_level(logging.WARNING, logger="sidecar.jobs._scheduler"):
        clock.advance(13)
        sidecar.clock_moved()
        assert await asyncio.wait_for(app.jobs.get(), 30) == "late"
    text = await scrape(sidecar)
    assert count_of(text, "sidecar_job_fire_lateness_seconds", kind="job") == before + 1
    assert "late fired late by 3.000 s" in caplog.text
    assert 'sidecar_jobs_pending{app_id="myapp"} 0.0' in text


async def test_without_increased_cardinality_paths_are_not_labelled(
    tmp_path: Path, app: App, clock: ManualClock
) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        "kind: Configuration\nspec:\n  metrics:\n    http:\n      increasedCardinality: false\n"
    )
    dapr_config = load_config(config_file)
    assert (dapr_config.metrics_enabled, dapr_config.increased_cardinality) == (True, False)
    config = SidecarConfig(
        app_id="myapp",
        app_port=app.port,
        home=tmp_path / "home",
        http_port=0,
        metrics_port=0,
        metrics_path_labels=dapr_config.increased_cardinality,
    )
    async with Sidecar(config, clock=clock, extensions=[]) as sidecar:
        await asyncio.wait_for(sidecar.ready.wait(), 30)
        async with httpx.AsyncClient() as client:
            api = f"http://127.0.0.1:{sidecar.http_port}"
            await client.post(f"{api}/v1.0-alpha1/jobs/j1", json={"dueTime": "0s"})
            await client.post(f"{api}/v1.0-alpha1/jobs/j2", json={"dueTime": "0s"})
        assert {await asyncio.wait_for(app.jobs.get(), 30) for _ in range(2)} == {"j1", "j2"}
        served = families(await scrape(sidecar))
    assert {s["path"] for s in served["dapr_http_server_request_count"]["series"]} == {""}
    assert {s["path"] for s in served["dapr_http_client_completed_count"]["series"]} == {""}
