"""Reminders and timers fired through the real SDK, also across a runtime restart."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Runtime, api, poll, proxy, with_sdk

pytestmark = pytest.mark.integration


def fired_of(port: int, actor_type: str, actor_id: str, kind: str) -> Any:
    async def check() -> list[Any]:
        fired = await with_sdk(port, lambda: proxy(actor_type, actor_id).Fired())
        return [f for f in fired if f["kind"] == kind]

    return check


async def test_reminder_fires_with_its_data(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    spec = {"name": "r1", "data": "hello", "due": 0.2}
    await with_sdk(sc.http_port, lambda: proxy("TestActor", "rem").StartReminder(spec))
    async with api(sc) as client:
        got = (await client.get("/v1.0/actors/TestActor/rem/reminders/r1")).json()
    assert got["actorID"] == "rem" and got["actorType"] == "TestActor"
    assert got["data"] == "aGVsbG8="  # the SDK sends base64; it comes back verbatim
    fired = await poll(fired_of(sc.http_port, "TestActor", "rem", "reminder"))
    assert fired == [{"kind": "reminder", "name": "r1", "data": "hello"}]


async def test_periodic_reminder_get_and_delete(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    spec = {"name": "tick", "data": "x", "due": 0.1, "period": 0.2}
    await with_sdk(sc.http_port, lambda: proxy("TestActor", "per").StartReminder(spec))
    async with api(sc) as client:
        got = (await client.get("/v1.0/actors/TestActor/per/reminders/tick")).json()
        assert got["period"] == "@every 200ms"
        check = fired_of(sc.http_port, "TestActor", "per", "reminder")
        await poll(lambda: _at_least(check, 2))
        await with_sdk(sc.http_port, lambda: proxy("TestActor", "per").StopReminder("tick"))
        gone = await client.get("/v1.0/actors/TestActor/per/reminders/tick")
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "ERR_ACTOR_REMINDER_NOT_FOUND"


async def _at_least(check: Any, n: int) -> list[Any] | None:
    found: list[Any] = await check()
    return found if len(found) >= n else None


async def test_reminder_survives_restart_and_fires_when_app_is_back(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    spec = {"name": "later", "data": "after", "due": 1.5}
    await with_sdk(sc.http_port, lambda: proxy("TestActor", "dur").StartReminder(spec))
    await runtime.stop(sc)  # runtime and app down while the reminder becomes due
    sc = await runtime.sidecar()
    fired = await poll(fired_of(sc.http_port, "TestActor", "dur", "reminder"))
    assert fired == [{"kind": "reminder", "name": "later", "data": "after"}]


async def test_timer_fires_with_callback_and_data(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    spec = {"name": "t1", "data": {"k": "v"}, "due": 0.1, "period": 0.2}
    await with_sdk(sc.http_port, lambda: proxy("TestActor", "tim").StartTimer(spec))
    check = fired_of(sc.http_port, "TestActor", "tim", "timer")
    fired = await poll(lambda: _at_least(check, 2))
    assert fired[0] == {"kind": "timer", "data": {"k": "v"}}
    async with api(sc) as client:
        resp = await client.delete("/v1.0/actors/TestActor/tim/timers/t1")
    assert resp.status_code == 204
    assert "TestActor||tim||t1" not in sc.extensions[-1].timers  # type: ignore[attr-defined]
