"""Schemathesis against the agent's and the notifier's OpenAPI, in process (ASGI), with their
sidecar clients on the fakes of tests/agent and tests/notifier (``httpx.MockTransport``).

Healthy fakes: no 5xx, and every answer conforms to the schema (status, content type, body).
Failing fakes: only the documented 502/503, still conforming. 30 examples per operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from dapr.actor import ActorRuntime
from dapr.actor.runtime.config import ActorRuntimeConfig
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agent import AgentSettings
from agent import create_app as create_agent
from notifier import NotifierSettings
from notifier import create_app as create_notifier
from tests.agent.conftest import ManualClock
from tests.agent.fakes import FakeSidecar
from tests.notifier.fakes import FakeStateSidecar

CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _fresh_actor_registry() -> None:
    ActorRuntime._actor_managers = {}
    ActorRuntime._actor_managers_lock = asyncio.Lock()
    ActorRuntime._actor_config = ActorRuntimeConfig()


class Fakes:
    """One app per module (schemathesis keeps its lifespan running), with switchable fakes."""

    def __init__(self) -> None:
        self.agent_sidecar = FakeSidecar()
        self.state_sidecar = FakeStateSidecar()
        self.agent_failing = False

    async def agent_transport(self, request: httpx.Request) -> httpx.Response:
        if self.agent_failing:
            body = {"errorCode": "ERR_DIRECT_INVOKE", "message": "told to fail"}
            return httpx.Response(500, json=body)
        return await self.agent_sidecar.handle(request)


FAKES = Fakes()
AGENT_APP = create_agent(
    AgentSettings(dapr_http_endpoint="http://sidecar.test", dapr_api_token="t"),
    http_client=httpx.AsyncClient(transport=httpx.MockTransport(FAKES.agent_transport)),
    clock=ManualClock(),
)
NOTIFIER_APP = create_notifier(
    NotifierSettings(dapr_http_endpoint="http://sidecar.test"),
    http_client=httpx.AsyncClient(transport=FAKES.state_sidecar.transport()),
)


def _schema(app: Any) -> Any:
    """The app's OpenAPI without a request at import; its lifespan starts with the first case
    (schemathesis then keeps it running for the session)."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    return schema.exclude(path_regex="^/(actors|dapr)/")  # the SDK's routes, for the sidecar


agent = _schema(AGENT_APP)
notifier = _schema(NOTIFIER_APP)


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    """The SDK's actor registry is process-global: empty when the agent's lifespan registers."""
    _fresh_actor_registry()
    yield FAKES
    _fresh_actor_registry()


def _healthy(case: Any) -> None:
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, *CONFORMANCE])


def _failing(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500 or response.status_code in (502, 503), response.text
    case.validate_response(response, checks=CONFORMANCE)


@agent.parametrize()
@FUZZ
def test_agent_api_conforms_and_never_5xx(case: Any, fakes: Fakes) -> None:
    fakes.agent_failing = False
    _healthy(case)


@agent.parametrize()
@FUZZ
def test_agent_api_with_a_failing_sidecar_answers_502_or_503(case: Any, fakes: Fakes) -> None:
    fakes.agent_failing = True
    try:
        _failing(case)
    finally:
        fakes.agent_failing = False


@notifier.parametrize()
@FUZZ
def test_notifier_api_conforms_and_never_5xx(case: Any, fakes: Fakes) -> None:
    fakes.state_sidecar.down = False
    _healthy(case)


@notifier.parametrize()
@FUZZ
def test_notifier_with_its_store_down_answers_503(case: Any, fakes: Fakes) -> None:
    fakes.state_sidecar.down = True
    try:
        _failing(case)
    finally:
        fakes.state_sidecar.down = False
