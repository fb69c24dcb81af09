"""Channels chosen per recipient: signed webhooks, Dapr pub/sub, SMTP email (a real aiosmtpd
server), backoff with jitter, and the routing table's refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from notifier import NotifierSettings, create_app
from notifier._channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from notifier._delivery import equal_jitter
from notifier._routing import routing_table
from sidecar._runner import free_port

from .fakes import FakeStateSidecar

SECRET = "s3cret"


class Inbox(Message):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Recorder(FakeStateSidecar):
    """The fake state sidecar, also taking publishes and webhook calls with their headers."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.hooks: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1.0/publish/"):
            self.published.append((request.url.path, json.loads(request.content)))
            return httpx.Response(204)
        if request.url.host == "hooks.test":
            self.hooks.append(request)
        return super().handle(request)


@pytest.fixture
async def routed(smtp: tuple[Inbox, int]) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder]]:
    routes = {
        "bob": {"channel": "webhook", "url": "http://hooks.test/bob"},
        "lead": {"channel": "email", "to": "lead@example.com"},
        "ops": {"channel": "pubsub", "pubsub": "pubsub", "topic": "escalations"},
    }
    settings = NotifierSettings(
        dapr_http_endpoint="http://sidecar.test",
        webhook_secret=SECRET,
        routes_json=json.dumps(routes),
        smtp_port=smtp[1],
    )
    sidecar = Recorder()

    async def no_sleep(_: float) -> None:
        return None

    async with httpx.AsyncClient(transport=httpx.MockTransport(sidecar.handle)) as outbound:
        app = create_app(settings, http_client=outbound, sleep=no_sleep)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://n.test") as http:
                yield http, sidecar


def escalation(**fields: Any) -> dict[str, Any]:
    base = {"id": "a:t:escalation:1", "agent_id": "a", "task_id": "t", "kind": "escalation"}
    return {
        **base,
        "title": "Ship",
        "message": "overdue",
        "recipients": ["bob", "lead", "ops"],
        **fields,
    }


async def test_each_recipient_gets_its_own_channel_and_every_attempt_is_recorded(
    routed: tuple[httpx.AsyncClient, Recorder], smtp: tuple[Inbox, int]
) -> None:
    client, sidecar = routed
    response = await client.post("/notifications", json=escalation())
    assert (response.status_code, response.json()["status"]) == (201, "delivered")
    (hook,) = sidecar.hooks
    assert json.loads(hook.content)["recipient"] == "bob"
    (email,) = smtp[0].messages
    assert (email["To"], email["Subject"]) == ("lead@example.com", "[escalation] Ship")
    ((path, body),) = sidecar.published
    assert path == "/v1.0/publish/pubsub/escalations"
    assert (body["id"], body["recipient"], body["message"]) == (
        "a:t:escalation:1",
        "ops",
        "overdue",
    )
    (listed,) = (await client.get("/notifications")).json()["notifications"]
    assert [(d["recipient"], d["channel"], d["status"]) for d in listed["deliveries"]] == [
        ("bob", "webhook:http://hooks.test/bob", "delivered"),
        ("lead", "email:lead@example.com", "delivered"),
        ("ops", "pubsub:escalations", "delivered"),
    ]
    assert all(len(d["attempts"]) == 1 and d["attempts"][0]["ok"] for d in listed["deliveries"])


async def test_the_webhook_signature_verifies_over_the_raw_body(
    routed: tuple[httpx.AsyncClient, Recorder],
) -> None:
    client, sidecar = routed
    await client.post("/notifications", json=escalation(recipients=["bob"]))
    (hook,) = sidecar.hooks
    stamp = hook.headers[TIMESTAMP_HEADER]
    assert hook.headers[SIGNATURE_HEADER] == signature(SECRET, stamp, hook.content)
    assert hook.headers[SIGNATURE_HEADER] != signature("other", stamp, hook.content)
    assert hook.headers[SIGNATURE_HEADER] != signature(SECRET, stamp, hook.content + b" ")


async def test_an_smtp_server_that_is_down_makes_a_dead_letter() -> None:
    smtp_down = escalation(recipients=["lead"])
    settings = NotifierSettings(  # no server listens on that port
        dapr_http_endpoint="http://sidecar.test",
        routes_json=json.dumps({"lead": {"channel": "email", "to": "l@x"}}),
        smtp_port=free_port(),
        webhook_attempts=2,
    )
    sidecar = FakeStateSidecar()

    async def no_sleep(_: float) -> None:
        return None

    async with httpx.AsyncClient(transport=sidecar.transport()) as outbound:
        app = create_app(settings, http_client=outbound, sleep=no_sleep)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://n.test") as http:
                response = await http.post("/notifications", json=smtp_down)
                assert response.json()["status"] == "dead_letter"
                (dead,) = (await http.get("/dead-letters")).json()["notifications"]
                attempts = dead["deliveries"][0]["attempts"]
                assert len(attempts) == 2 and "SMTP" in attempts[0]["error"]


@pytest.mark.parametrize("delay", [0.5, 4.0, 60.0])
def test_equal_jitter_stays_between_half_and_the_whole_delay(delay: float) -> None:
    for _ in range(200):
        assert delay / 2 <= equal_jitter(delay) <= delay


async def test_backoff_doubles_between_attempts(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar, sleeps: list[float]
) -> None:
    sidecar.webhook_failures = 5
    await client.post("/notifications", json={"id": "x:y:reminder:1", "agent_id": "x"})
    assert sleeps == [0.5, 1.0]  # three attempts, the jitter is the identity in these tests


@pytest.mark.parametrize(
    ("routes", "needle"),
    [
        ("not json", "not JSON"),
        ('["bob"]', "JSON object"),
        ('{"bob": {"channel": "pigeon"}}', "channel must be one of"),
        ('{"bob": {"channel": "webhook"}}', "needs url"),
        ('{"ops": {"channel": "pubsub", "topic": "t"}}', "needs pubsub"),
    ],
)
def test_a_bad_routing_table_is_refused_naming_the_entry(routes: str, needle: str) -> None:
    with pytest.raises(ValueError, match="NOTIFIER_ROUTES") as caught:
        routing_table(routes, None)
    assert needle in str(caught.value)
