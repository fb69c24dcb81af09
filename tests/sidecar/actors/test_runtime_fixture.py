"""The actor runtime fixture's own wait: an app that dies is reported at once, not after the
bound (under load a bare timeout said nothing about why the sidecar never became ready)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from . import conftest
from .conftest import Runtime

pytestmark = pytest.mark.integration


async def test_an_actor_app_that_exits_fails_the_ready_wait_at_once_saying_so(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def exiting_app(port: int, sidecar_port: int, *_: object) -> object:
        return await asyncio.create_subprocess_exec(sys.executable, "-c", "raise SystemExit(3)")

    monkeypatch.setattr(conftest, "start_app", exiting_app)
    with pytest.raises(AssertionError, match="the actor app exited with 3 before ready"):
        await runtime.sidecar()
