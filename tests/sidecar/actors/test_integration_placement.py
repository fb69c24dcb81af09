"""Placement across separately started sidecars sharing one runtime home."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Runtime, api, proxy, with_sdk

pytestmark = pytest.mark.integration


def active(sc: Any) -> dict[str, int]:
    return dict(sc.extensions[-1].table.counts())


async def test_call_through_a_non_hosting_sidecar_is_forwarded(runtime: Runtime) -> None:
    host = await runtime.sidecar("actorapp")
    client_sc = await runtime.sidecar("caller", app=False)
    pong = await with_sdk(client_sc.http_port, lambda: proxy("TestActor", "fw").Ping())
    assert pong == "pong fw"
    assert active(host) == {"TestActor": 1}
    assert active(client_sc) == {}


async def test_ids_spread_over_hosts_and_move_when_a_host_dies(runtime: Runtime) -> None:
    first = await runtime.sidecar("actorapp")
    second = await runtime.sidecar("actorapp")
    caller = await runtime.sidecar("caller", app=False)
    ids = [f"id{i}" for i in range(12)]

    async def ping_all() -> list[str]:
        return [await proxy("TestActor", i).Ping() for i in ids]

    assert await with_sdk(caller.http_port, ping_all) == [f"pong {i}" for i in ids]
    counts = active(first).get("TestActor", 0), active(second).get("TestActor", 0)
    assert sum(counts) == len(ids) and min(counts) > 0
    await with_sdk(caller.http_port, lambda: proxy("TestActor", "id0").SetValue("moved"))
    await runtime.stop(first)
    assert await with_sdk(caller.http_port, ping_all) == [f"pong {i}" for i in ids]
    assert active(second) == {"TestActor": len(ids)}
    value = await with_sdk(caller.http_port, lambda: proxy("TestActor", "id0").GetValue())
    assert value == "moved"


async def test_reminder_registered_on_one_host_fires_at_the_owner(runtime: Runtime) -> None:
    host = await runtime.sidecar("actorapp")
    caller = await runtime.sidecar("caller", app=False)
    spec = {"name": "fwd", "data": "via", "due": 0.1}
    await with_sdk(caller.http_port, lambda: proxy("TestActor", "rr").StartReminder(spec))
    async with api(host) as client:
        got = await client.get("/v1.0/actors/TestActor/rr/reminders/fwd")
    assert got.status_code == 200


async def test_an_actor_that_moved_away_and_back_is_not_run_on_a_stale_copy(
    runtime: Runtime,
) -> None:
    """The local HA soak's loss: an actor active on one replica while the other was down, then
    run and changed on the other after it rejoined, must not come back to its old copy when
    the other goes away again (daprd halts every actor a new placement table moves away)."""
    first = await runtime.sidecar("actorapp")
    caller = await runtime.sidecar("caller", app=False)
    ids = [f"id{i}" for i in range(12)]

    async def set_all(value: str) -> None:
        for i in ids:
            await proxy("TestActor", i).SetValue(value)

    async def get_all() -> list[Any]:
        return [await proxy("TestActor", i).GetValue() for i in ids]

    await with_sdk(caller.http_port, lambda: set_all("old"))
    assert active(first) == {"TestActor": len(ids)}
    second = await runtime.sidecar("actorapp")
    await with_sdk(caller.http_port, lambda: set_all("new"))  # some now run on second
    assert active(second).get("TestActor", 0) > 0
    await runtime.stop(second)
    assert await with_sdk(caller.http_port, get_all) == ["new"] * len(ids)
