from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from notifier import NotifierSettings

from .fakes import FakeStateSidecar


def note(nid: str = "alice:t1:reminder:1", **fields: Any) -> dict[str, Any]:
    base = {"agent_id": "alice", "task_id": "t1", "kind": "reminder", "assignee": "bob"}
    return {"id": nid, **base, "message": "Reminder: report due", **fields}


async def test_new_notification_is_stored_logged_and_forwarded(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="notifier")
    response = await client.post("/notifications", json=note())
    assert response.status_code == 201
    assert response.json() == {"id": "alice:t1:reminder:1", "status": "delivered"}
    assert [c["id"] for c in sidecar.webhook_calls] == ["alice:t1:reminder:1"]
    assert any("NOTIFY alice:t1:reminder:1" in m for m in caplog.messages)
    assert sidecar.tokens == {"tok"}


async def test_a_store_whose_first_write_keys_need_their_etag_still_records_the_delivery(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar
) -> None:
    """daprd's state.redis refuses a save without ETag of a key first written with first-write
    concurrency: marking the record delivered must bring the record's ETag."""
    sidecar.first_write_sticks = True
    response = await client.post("/notifications", json=note())
    assert response.status_code == 201, response.text
    (listed,) = (await client.get("/notifications")).json()["notifications"]
    assert listed["delivered"] is True
    again = await client.post("/notifications", json=note())
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(sidecar.webhook_calls) == 1


@pytest.mark.parametrize("conflict", [409, 500], ids=["sqlite", "redis-postgresql"])
async def test_repeated_id_is_acknowledged_not_redelivered(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar, conflict: int
) -> None:
    sidecar.first_write_conflict = conflict
    await client.post("/notifications", json=note())
    again = await client.post("/notifications", json=note(message="changed"))
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert len(sidecar.webhook_calls) == 1
    listed = (await client.get("/notifications")).json()["notifications"]
    assert [n["message"] for n in listed] == ["Reminder: report due"]


async def test_webhook_is_retried_with_backoff(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar, sleeps: list[float]
) -> None:
    sidecar.webhook_failures = 2
    response = await client.post("/notifications", json=note())
    assert response.status_code == 201
    assert len(sidecar.webhook_calls) == 3
    assert sleeps == [0.5, 1.0]


async def test_delivery_failing_after_its_retries_is_a_dead_letter_replayed_once(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar
) -> None:
    sidecar.webhook_failures = 3
    failed = await client.post("/notifications", json=note())
    assert (failed.status_code, failed.json()["status"]) == (202, "dead_letter")
    again = await client.post("/notifications", json=note())  # the agent's retry: no redelivery
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert len(sidecar.webhook_calls) == 3
    (dead,) = (await client.get("/dead-letters")).json()["notifications"]
    assert (dead["id"], dead["status"], dead["delivered"]) == (
        "alice:t1:reminder:1",
        "dead_letter",
        False,
    )
    (delivery,) = dead["deliveries"]
    assert [a["ok"] for a in delivery["attempts"]] == [False, False, False]
    assert delivery["attempts"][0]["error"].endswith("status 503")

    replayed = await client.post("/dead-letters/alice:t1:reminder:1/replay")
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["delivered"]) == ("replayed", True)
    assert [a["ok"] for a in replayed.json()["deliveries"][0]["attempts"]] == [False] * 3 + [True]
    twice = await client.post("/dead-letters/alice:t1:reminder:1/replay")
    assert twice.json()["status"] == "replayed"
    assert len(sidecar.webhook_calls) == 4  # delivered once on replay
    assert (await client.get("/dead-letters")).json() == {"notifications": []}
    (listed,) = (await client.get("/notifications")).json()["notifications"]
    assert listed["status"] == "replayed"


async def test_replay_of_an_unknown_or_delivered_id_is_404(client: httpx.AsyncClient) -> None:
    await client.post("/notifications", json=note())
    for nid in ("alice:t1:reminder:1", "nope"):
        response = await client.post(f"/dead-letters/{nid}/replay")
        assert (response.status_code, response.json()["errorCode"]) == (
            404,
            "ERR_DEAD_LETTER_NOT_FOUND",
        )


async def test_a_replay_that_fails_again_stays_a_dead_letter(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar
) -> None:
    sidecar.webhook_failures = 6
    await client.post("/notifications", json=note())
    replayed = await client.post("/dead-letters/alice:t1:reminder:1/replay")
    assert (replayed.json()["status"], len(replayed.json()["deliveries"][0]["attempts"])) == (
        "dead_letter",
        6,
    )
    assert len((await client.get("/dead-letters")).json()["notifications"]) == 1


async def test_a_record_stored_before_statuses_still_reads(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar
) -> None:
    old = {"notification": note(), "delivered": True, "received_at": "2030-01-01T09:00:00Z"}
    sidecar.rows["notification-alice:t1:reminder:1"] = (old, "e1")
    sidecar.rows["notifications-agents"] = (["alice"], "e2")
    sidecar.rows["notifications-index-alice"] = (["alice:t1:reminder:1"], "e3")
    again = await client.post("/notifications", json=note())
    assert again.json()["status"] == "duplicate" and sidecar.webhook_calls == []
    (listed,) = (await client.get("/notifications")).json()["notifications"]
    assert (listed["status"], listed["delivered"]) == ("delivered", True)


async def test_history_filters_by_agent_and_task(client: httpx.AsyncClient) -> None:
    await client.post("/notifications", json=note())
    await client.post("/notifications", json=note("alice:t2:reminder:1", task_id="t2"))
    await client.post("/notifications", json=note("bob:t1:overdue:1", agent_id="bob"))

    async def ids(**params: str) -> list[str]:
        response = await client.get("/notifications", params=params)
        return [n["id"] for n in response.json()["notifications"]]

    assert len(await ids()) == 3
    assert await ids(agent_id="alice") == ["alice:t1:reminder:1", "alice:t2:reminder:1"]
    assert await ids(agent_id="alice", task_id="t2") == ["alice:t2:reminder:1"]


async def test_state_store_down_is_503(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar
) -> None:
    sidecar.down = True
    response = await client.post("/notifications", json=note())
    assert (response.status_code, response.json()["errorCode"]) == (503, "ERR_STATE_STORE")


async def test_bad_notification_is_422(client: httpx.AsyncClient) -> None:
    assert (await client.post("/notifications", json={"message": "no id"})).status_code == 422


def test_settings_from_env() -> None:
    env = {"APP_PORT": "9100", "DAPR_HTTP_PORT": "3700", "NOTIFIER_WEBHOOK_URL": "http://h"}
    settings = NotifierSettings.from_env(env)
    assert (settings.app_port, settings.dapr_http_endpoint) == (9100, "http://127.0.0.1:3700")
    assert (settings.webhook_url, settings.state_store) == ("http://h", "statestore")
    assert NotifierSettings.from_env({}).app_port == 8003
    with pytest.raises(ValueError, match="APP_PORT"):
        NotifierSettings.from_env({"APP_PORT": "x"})


async def test_history_filter_with_odd_agent_ids_is_just_empty(client: httpx.AsyncClient) -> None:
    for odd in ["\x1f", "a||b", "a/b", "?x=1", "null"]:
        response = await client.get("/notifications", params={"agent_id": odd})
        assert (response.status_code, response.json()) == (200, {"notifications": []})
