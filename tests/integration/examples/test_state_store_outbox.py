"""What the python-sdk ``state_store`` example does with its outbox transaction, written here
with the SDK's ``DaprClient``: a real sidecar (real daprd under ``--runtime dapr``) whose state
store sets ``outboxPublishPubsub``/``outboxPublishTopic``, in front of the recorder app that
subscribes to that topic. The projection is published, the other value is stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dapr.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation
from dapr.conf import settings

from .._components import component, dump
from .._processes import WAIT
from ..test_grpc_api import System

pytestmark = pytest.mark.integration


def outbox_store(db: Path) -> str:
    """A SQLite store whose transactions publish each upsert to ``pubsub``'s ``orders`` topic."""
    return dump(
        component(
            "outboxstore",
            "state.sqlite",
            {"name": "connectionString", "value": str(db)},
            {"name": "outboxPublishPubsub", "value": "pubsub"},
            {"name": "outboxPublishTopic", "value": "orders"},
        )
    )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    root = tmp_path_factory.mktemp("outbox")
    started = System(root, extra=outbox_store(root / "outbox.db"))
    try:
        yield started.start()
    finally:
        started.stop()


def _events(system: System) -> list[dict[str, Any]]:
    """The outbox events the app received, once there is one (within WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if received := system.received("/events/orders"):
            return received
        assert system.sidecar.alive(), system.sidecar.describe()
        time.sleep(0.05)
    raise AssertionError(f"no outbox event within {WAIT}s\n{system.sidecar.describe()}")


def test_the_projection_is_published_and_the_value_stored(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", system.sidecar.url)
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", None)
    with DaprClient(address=system.address) as client:
        client.execute_state_transaction(
            store_name="outboxstore",
            operations=[
                TransactionalStateOperation(
                    key="key1", data="val1", metadata={"outbox.projection": "false"}
                ),
                TransactionalStateOperation(
                    key="key1", data="val2", metadata={"outbox.projection": "true"}
                ),
            ],
        )
        assert client.get_state(store_name="outboxstore", key="key1").data == b"val1"
    (event,) = _events(system)
    body = event["body"]
    assert '"data":"val2"' in body and '"id":"outbox-' in body
    assert '"outbox.projection":"false"' in body  # the stored operation's metadata
