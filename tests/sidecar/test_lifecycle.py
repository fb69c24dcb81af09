"""Sidecar lifecycle failures are loud: the cause is logged and the sidecar asks to stop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.routing import BaseRoute

from sidecar._config import SidecarConfig
from sidecar._sidecar import Sidecar, default_extensions
from sidecar.clock import ManualClock
from sidecar.jobs import MemoryJobStore
from sidecar.services import ExtensionServices


class _FailsWhenAppIsReady:
    routes: list[BaseRoute] = []

    def __init__(self, services: ExtensionServices) -> None:
        self.services = services

    async def start(self) -> None:
        pass

    async def on_app_ready(self) -> None:
        raise RuntimeError("cannot register the actor types")

    def describe(self, metadata: dict[str, Any]) -> None:
        pass

    async def stop(self) -> None:
        pass


async def test_extension_failing_on_app_ready_is_logged_and_stops_the_sidecar(
    config: SidecarConfig, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    sc = Sidecar(
        config,
        clock=clock,
        job_store=MemoryJobStore(),
        extensions=[_FailsWhenAppIsReady],
        serve_http=False,
    )
    async with sc:
        async with asyncio.timeout(5):
            await sc.shutdown_requested.wait()
        assert not sc.ready.is_set()
    assert "cannot register the actor types" in caplog.text
    assert "connecting to the app failed" in caplog.text


def test_shipped_runtimes_are_always_loaded() -> None:
    names = [f.__name__ for f in default_extensions()]
    assert names == ["PubSubRuntime", "ActorRuntime"]
