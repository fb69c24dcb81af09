"""Every error answer of the actor API, as daprd gives it (dapr-sidecar.md §2, §11)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Runtime, api, write_resources

pytestmark = pytest.mark.integration


def code(resp: Any) -> tuple[int, str]:
    return resp.status_code, resp.json()["errorCode"]


async def test_errors_on_the_hosting_sidecar(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    base = "/v1.0/actors/TestActor/e1"
    async with api(sc) as c:
        assert (await c.post(f"{base}/method/Ping")).status_code == 200
        assert code(await c.post(f"{base}/method/Nope")) == (500, "ERR_ACTOR_INVOKE_METHOD")
        assert code(await c.put(f"{base}/reminders/r", content=b"{")) == (
            400,
            "ERR_MALFORMED_REQUEST",
        )
        bad_period = await c.put(f"{base}/reminders/r", json={"period": "P1D"})
        assert code(bad_period) == (500, "ERR_ACTOR_REMINDER_CREATE")
        assert "unsupported period format" in bad_period.json()["message"]
        assert code(await c.put(f"{base}/reminders/a%3Fb", json={})) == (400, "ERR_BAD_REQUEST")
        assert (await c.put(f"{base}/reminders/r", json={"dueTime": "1h"})).status_code == 204
        again = await c.put(f"{base}/reminders/r", json={"dueTime": "2h", "overwrite": False})
        assert code(again) == (409, "ERR_ACTOR_REMINDER_ALREADY_EXISTS")
        assert (await c.put(f"{base}/reminders/r", json={"dueTime": "2h"})).status_code == 204
        assert code(await c.get(f"{base}/reminders/zz")) == (404, "ERR_ACTOR_REMINDER_NOT_FOUND")
        assert (await c.delete(f"{base}/reminders/zz")).status_code == 204
        bad_timer = await c.put(f"{base}/timers/t", json={"dueTime": "soon", "callback": "x"})
        assert code(bad_timer) == (500, "ERR_ACTOR_TIMER_CREATE")
        assert (await c.delete(f"{base}/timers/absent")).status_code == 204
        inactive = [{"operation": "upsert", "request": {"key": "k", "value": 1}}]
        resp = await c.put("/v1.0/actors/TestActor/never/state", json=inactive)
        assert code(resp) == (400, "ERR_ACTOR_INSTANCE_MISSING")
        ttl = [
            {
                "operation": "upsert",
                "request": {"key": "k", "value": 1, "metadata": {"ttlInSeconds": "5"}},
            }
        ]
        assert code(await c.put(f"{base}/state", json=ttl)) == (
            500,
            "ERR_ACTOR_STATE_TRANSACTION_SAVE",
        )
        assert code(await c.put(f"{base}/state", json={"not": "a list"})) == (
            400,
            "ERR_MALFORMED_REQUEST",
        )
        reserved = await c.get("/v1.0/actors/dapr.internal.wf/x/state/k")
        assert code(reserved) == (403, "ERR_ACTOR_TYPE_RESERVED")


async def test_errors_on_a_sidecar_that_hosts_nothing(runtime: Runtime) -> None:
    await runtime.sidecar()
    caller = await runtime.sidecar("caller", app=False)
    caller.extensions[-1].router.lookup_retries = 0  # type: ignore[attr-defined]
    async with api(caller) as c:
        reminder = await c.put("/v1.0/actors/TestActor/x/reminders/r", json={})
        assert code(reminder) == (403, "ERR_ACTOR_REMINDER_NON_HOSTED")
        assert code(await c.get("/v1.0/actors/TestActor/x/reminders/r")) == (
            403,
            "ERR_ACTOR_REMINDER_NON_HOSTED",
        )
        timer = await c.put("/v1.0/actors/TestActor/x/timers/t", json={"callback": "c"})
        assert code(timer) == (500, "ERR_ACTOR_TIMER_CREATE")
        assert "actor type not registered" in timer.json()["message"]
        missing = await c.post("/v1.0/actors/Unknown/x/method/Ping")
        assert code(missing) == (500, "ERR_ACTOR_INVOKE_METHOD")
        assert "did not find address for actor 'Unknown/x'" in missing.json()["message"]


async def test_without_an_actor_state_store(runtime: Runtime, tmp_path: Any) -> None:
    plain = write_resources(tmp_path / "plain", tmp_path / "plain.db", actor_store=False)
    sc = await runtime.sidecar(resources=plain)
    sc.extensions[-1].router.lookup_retries = 0  # type: ignore[attr-defined]
    async with api(sc) as c:
        state = await c.get("/v1.0/actors/TestActor/x/state/k")
        assert code(state) == (500, "ERR_ACTOR_RUNTIME_NOT_FOUND")
        assert 'actorStateStore value: "true"' in state.json()["message"]
        call = await c.post("/v1.0/actors/TestActor/x/method/Ping")
        assert code(call) == (500, "ERR_ACTOR_INVOKE_METHOD")
