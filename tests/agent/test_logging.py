"""What the agent logs: one line saying where it listens; no line per outbound request."""

from __future__ import annotations

import logging

import httpx
import pytest

from agent import AgentSettings, create_app
from agent.__main__ import configure_logging

from ..conftest import OUTBOUND_LOGGERS
from .conftest import ManualClock
from .fakes import FakeSidecar


async def test_outbound_requests_are_not_logged_at_info(
    restore_logging: None, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging()
    caplog.set_level(logging.INFO)
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("http://sidecar.test/v1.0-alpha1/jobs/j")
    assert [r.getMessage() for r in caplog.records if r.name.startswith(OUTBOUND_LOGGERS)] == []


async def test_start_up_says_where_the_agent_listens(
    caplog: pytest.LogCaptureFixture, sidecar: FakeSidecar
) -> None:
    caplog.set_level(logging.INFO, logger="agent")
    settings = AgentSettings(app_host="127.0.0.1", app_port=8123, dapr_http_endpoint="http://s:1")
    async with httpx.AsyncClient(transport=sidecar.transport()) as outbound:
        app = create_app(settings, http_client=outbound, clock=ManualClock())
        async with app.router.lifespan_context(app):
            pass
    ready = [m for m in caplog.messages if "ready" in m]
    assert ready == ["agent ready on http://127.0.0.1:8123 (API docs /docs); sidecar http://s:1"]
