"""What the notifier logs: one line saying where it listens; no line per outbound request."""

from __future__ import annotations

import logging

import httpx
import pytest

from notifier import NotifierSettings, create_app
from notifier.__main__ import configure_logging

from ..conftest import OUTBOUND_LOGGERS
from .fakes import FakeStateSidecar


async def test_intake_logs_notify_but_not_its_state_store_calls(
    restore_logging: None, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging()
    caplog.set_level(logging.INFO)
    settings = NotifierSettings(dapr_http_endpoint="http://sidecar.test")
    async with httpx.AsyncClient(transport=FakeStateSidecar().transport()) as outbound:
        app = create_app(settings, http_client=outbound)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://n.test") as client:
                response = await client.post("/notifications", json={"id": "a:t:reminder:1"})
    assert response.status_code == 201, response.text
    assert [r.getMessage() for r in caplog.records if r.name.startswith(OUTBOUND_LOGGERS)] == []
    assert any(m.startswith("NOTIFY a:t:reminder:1") for m in caplog.messages)


async def test_start_up_says_where_the_notifier_listens(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="notifier")
    settings = NotifierSettings(app_port=8124, dapr_http_endpoint="http://s:2")
    async with httpx.AsyncClient(transport=FakeStateSidecar().transport()) as outbound:
        app = create_app(settings, http_client=outbound)
        async with app.router.lifespan_context(app):
            pass
    ready = [m for m in caplog.messages if "ready" in m]
    assert ready == [
        "notifier ready on http://127.0.0.1:8124 (API docs /docs); sidecar http://s:2, "
        "state store statestore"
    ]
