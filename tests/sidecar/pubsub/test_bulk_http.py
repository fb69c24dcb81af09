"""Bulk publish (``/v1.0-alpha1/publish/bulk`` and ``/v1.0/publish/bulk``)."""

from __future__ import annotations

import json

from .conftest import HarnessFactory

SUB = [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]


async def test_bulk_publish_delivers_each_entry(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB)
    entries = [
        {"entryId": "1", "event": {"n": 1}, "contentType": "application/json"},
        {
            "entryId": "2",
            "event": "text",
            "contentType": "text/plain",
            "metadata": {"cloudevent.type": "custom"},
        },
        {"entryId": "3", "event": "AAE=", "contentType": "application/octet-stream"},
    ]
    for version in ("v1.0-alpha1", "v1.0"):
        resp = await h.client.post(f"/{version}/publish/bulk/pubsub/orders", json=entries)
        assert resp.status_code == 204
        got = [(await h.app.next()).json() for _ in entries]
        assert got[0]["data"] == {"n": 1}
        assert (got[1]["data"], got[1]["type"]) == ("text", "custom")
        assert got[2]["data_base64"] == "AAE="
        # no trace context sent: as daprd with tracing off (tests/parity), the envelopes say ""
        assert got[0]["traceparent"] == got[1]["traceparent"] == ""


async def test_bulk_publish_errors(harness: HarnessFactory) -> None:
    h = await harness(subscriptions=SUB)
    url = "/v1.0-alpha1/publish/bulk/pubsub/orders"
    resp = await h.client.post(url, content=b"{}")
    assert resp.status_code == 400
    assert resp.json()["errorCode"] == "ERR_PUBSUB_EVENTS_SER"
    assert resp.json()["message"].startswith(
        "error when unmarshaling the request for topic orders pubsub pubsub: "
    )
    dup = [{"entryId": "1", "event": "a", "contentType": "text/plain"}] * 2
    resp = await h.client.post(url, json=dup)
    assert (resp.status_code, resp.json()["message"]) == (
        400,
        (
            "error marshaling events to bytes for topic orders pubsub pubsub. error: "
            "entryId is duplicated or not present for entry"
        ),
    )
    mismatch = [{"entryId": "1", "event": {"a": 1}, "contentType": "text/plain"}]
    resp = await h.client.post(url, json=mismatch)
    assert (resp.status_code, resp.json()["message"]) == (
        400,
        (
            "error when marshalling cloud event envelope for topic orders pubsub pubsub: "
            "error: mismatch between contentType and event"
        ),
    )
    resp = await h.client.post("/v1.0/publish/bulk/missing/orders", json=[])
    assert resp.status_code == 404
    assert json.loads(resp.content)["errorCode"] == "ERR_PUBSUB_NOT_FOUND"
