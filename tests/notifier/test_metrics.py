"""The notifier's ``/metrics``: notifications by channel and outcome, due -> stored latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families


def note(nid: str, **fields: Any) -> dict[str, Any]:
    base = {"agent_id": "alice", "task_id": "t1", "kind": "reminder", "assignee": "bob"}
    return {"id": nid, **base, "message": "Reminder", **fields}


async def samples(
    client: httpx.AsyncClient,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


async def test_outcomes_by_channel_and_the_due_to_stored_latency(
    client: httpx.AsyncClient,
) -> None:
    fire_at = (datetime.now(UTC) - timedelta(seconds=90)).isoformat()
    assert (
        await client.post("/notifications", json=note("a:1", fire_at=fire_at))
    ).status_code == 201
    assert (await client.post("/notifications", json=note("a:1"))).status_code == 200
    found = await samples(client)
    total = "pm_notifier_notifications_total"
    assert found[(total, (("channel", "webhook"), ("outcome", "delivered")))] == 1
    assert found[(total, (("channel", "intake"), ("outcome", "duplicate")))] == 1
    latency = "pm_notifier_due_to_stored_seconds"
    assert found[(f"{latency}_count", (("kind", "reminder"),))] == 1
    assert found[(f"{latency}_bucket", (("kind", "reminder"), ("le", "60.0")))] == 0
    assert found[(f"{latency}_bucket", (("kind", "reminder"), ("le", "300.0")))] == 1
