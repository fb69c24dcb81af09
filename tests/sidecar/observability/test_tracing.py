"""Tracing on (a Configuration's samplingRate above 0): the span context the sidecar answers
with and passes to the app, as recorded from daprd 1.18.3, and the spans it exports over
OTLP/HTTP to a local receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from sidecar._config import SidecarConfig
from sidecar._dapr_config import load_config
from sidecar._runner import free_port
from sidecar._sidecar import Sidecar
from sidecar.components import ComponentError
from tests.integration._otlp import OtlpReceiver

RECORDED = json.loads(Path(__file__).with_name("daprd_recorded.json").read_text())["traces"]
PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
KIND = "apiVersion: dapr.io/v1alpha1\nkind: Configuration\n"
CONFIG = """\
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: tracing
spec:
  tracing:
    samplingRate: "{rate}"
    otel:
      endpointAddress: "{endpoint}"
      isSecure: false
      protocol: http
"""


class App:
    """Records the traceparent of every request it gets."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: asyncio.Queue[tuple[str, str | None]] = asyncio.Queue()

    async def __aenter__(self) -> App:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._any)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    async def _any(self, request: web.Request) -> web.Response:
        if request.path != "/dapr/config":
            await self.received.put((request.path, request.headers.get("traceparent")))
        return web.json_response({})


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpReceiver]:
    async with OtlpReceiver() as started:
        yield started


@pytest.fixture
async def app() -> AsyncIterator[App]:
    async with App() as started:
        yield started


@pytest.fixture
async def sidecar(tmp_path: Path, app: App, receiver: OtlpReceiver) -> AsyncIterator[Sidecar]:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(CONFIG.format(rate=1, endpoint=receiver.endpoint))
    config = SidecarConfig(
        app_id="myapp",
        app_port=app.port,
        home=tmp_path / "home",
        http_port=0,
        tracing=load_config(config_file).tracing,
    )
    async with Sidecar(config) as started:
        await asyncio.wait_for(started.ready.wait(), 30)
        yield started


def parts(traceparent: str) -> tuple[str, str, str]:
    _, trace_id, span_id, flags = traceparent.split("-")
    return trace_id, span_id, flags


def test_the_recording_is_what_the_sidecar_follows() -> None:
    invoke = RECORDED["invoke"]
    assert parts(invoke["answer"])[0] == parts(PARENT)[0] != parts(invoke["answer"])[1]
    assert invoke["app"][0]["traceparent"] == invoke["answer"]
    assert RECORDED["job"]["app"][0]["traceparent"] is None


async def test_invocation_gets_a_child_span_whose_context_the_app_and_caller_see(
    sidecar: Sidecar, app: App, receiver: OtlpReceiver
) -> None:
    async with httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{sidecar.http_port}/v1.0/invoke/myapp/method/echo"
        answer = await client.post(url, headers={"traceparent": PARENT}, json={})
    assert answer.status_code == 200
    trace_id, span_id, flags = parts(answer.headers["traceparent"])
    assert (trace_id, flags) == (parts(PARENT)[0], "01")
    assert span_id != parts(PARENT)[1]
    path, received = await asyncio.wait_for(app.received.get(), 10)
    assert (path, received) == ("/echo", answer.headers["traceparent"])

    spans = await receiver.wait_for(lambda s: any(x.span_id == span_id for x in s), "the span")
    (span,) = [s for s in spans if s.span_id == span_id]
    assert (span.service, span.trace_id, span.parent_id) == ("myapp", trace_id, parts(PARENT)[1])
    assert span.attributes["http.response.status_code"] == "200"


async def test_a_request_without_context_starts_a_trace_and_a_job_trigger_carries_none(
    sidecar: Sidecar, app: App
) -> None:
    async with httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{sidecar.http_port}/v1.0-alpha1/jobs/j1"
        answer = await client.post(url, json={"dueTime": "0s"})
    assert answer.status_code == 204
    trace_id, _, flags = parts(answer.headers["traceparent"])
    assert trace_id != "0" * 32 and flags == "01"
    assert await asyncio.wait_for(app.received.get(), 10) == ("/job/j1", None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f'{KIND}spec:\n  tracing:\n    samplingRate: "2"\n', "between 0 and 1"),
        (f'{KIND}spec:\n  tracing:\n    samplingRate: "often"\n', "could not convert"),
        ("spec: [1, 2\n", "invalid Configuration"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_file(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ComponentError, match=problem) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_sampling_zero_or_no_section_is_tracing_off(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(rate=0, endpoint="127.0.0.1:4318"))
    assert load_config(path).tracing is None
    assert load_config(None).tracing is None
