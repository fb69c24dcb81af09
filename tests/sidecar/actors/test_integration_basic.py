"""The actor runtime driven by the real SDK: activation, state, restart."""

from __future__ import annotations

import time

import pytest

from .conftest import Runtime, api, poll, proxy, with_sdk

pytestmark = pytest.mark.integration


async def test_method_call_activates_and_state_is_stored(runtime: Runtime) -> None:
    sc = await runtime.sidecar()

    async def calls() -> tuple[str, object]:
        p = proxy("TestActor", "a1")
        pong = await p.Ping()
        await p.SetValue({"n": 1, "<": "&"})
        return pong, await p.GetValue()

    pong, value = await with_sdk(sc.http_port, calls)
    assert pong == "pong a1"
    assert value == {"n": 1, "<": "&"}
    async with api(sc) as client:
        resp = await client.get("/v1.0/actors/TestActor/a1/state/value")
        assert resp.status_code == 200
        assert resp.content == b'{"\\u003c":"\\u0026","n":1}'
        missing = await client.get("/v1.0/actors/TestActor/a1/state/nothing")
        assert missing.status_code == 204
        meta = (await client.get("/v1.0/metadata")).json()
    assert {"type": "TestActor", "count": 1} in meta["actors"]
    store = sc.state_stores["actorstore"]
    assert await store.get("actorapp||TestActor||a1||value") is not None


async def test_state_survives_runtime_restart(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    await with_sdk(sc.http_port, lambda: proxy("TestActor", "keep").SetValue("kept"))
    await runtime.stop(sc)
    sc = await runtime.sidecar()
    value = await with_sdk(sc.http_port, lambda: proxy("TestActor", "keep").GetValue())
    assert value == "kept"


async def test_idle_actor_is_deactivated(runtime: Runtime) -> None:
    sc = await runtime.sidecar(idle=0.5)
    before_call = time.time()  # the turn starts later, and its deadline is its start + 0.5 s
    await with_sdk(sc.http_port, lambda: proxy("TestActor", "idle").Ping())
    app_port = sc.config.app_port
    async with api(sc) as client:

        async def deactivated() -> list[dict[str, object]]:
            events = (await client.get(f"http://127.0.0.1:{app_port}/log")).json()
            return [e for e in events if e["event"] == "deactivate" and e["id"] == "idle"]

        events = await poll(deactivated)
    # Not the app's own activation time: the sidecar starts the turn (and its idle clock) before
    # the app sees the activation, by however long the call takes on a loaded machine.
    assert events[0]["at"] - before_call >= 0.5
    assert not sc.extensions[-1].table.is_active("TestActor", "idle")  # type: ignore[attr-defined]
