"""Placement across separately started sidecars sharing one runtime home."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .conftest import Runtime, api, poll, proxy, with_sdk

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


async def test_an_actor_moved_while_in_a_call_is_activated_on_its_new_host_after_the_call(
    runtime: Runtime,
) -> None:
    """The local HA soak's second loss: a host joined while an actor's call ran on its old host,
    and the new host activated it and read its state before the old call stored it. As daprd
    drains moved actors before any sidecar looks them up again, the new host waits."""
    first = await runtime.sidecar("actorapp", drain=30)
    caller = await runtime.sidecar("caller", app=False)
    ids = [f"id{i}" for i in range(12)]

    async def count_all(seconds: float) -> list[int]:
        calls = [proxy("TestActor", i).CountAfter(seconds) for i in ids]
        return list(await asyncio.gather(*calls))

    slow = asyncio.ensure_future(with_sdk(caller.http_port, lambda: count_all(8.0)))

    def in_calls(sc: Any) -> int:
        return sum(running for _, running, _ in sc.extensions[-1].table.stats().values())

    async def all_in_calls() -> bool:
        return in_calls(first) == len(ids)

    await poll(all_in_calls)
    second = await runtime.sidecar("actorapp", drain=30)
    assert in_calls(first) == len(ids), "the slow calls ended before the second host joined"
    fast = await with_sdk(caller.http_port, lambda: count_all(0.0))
    assert await slow == [1] * len(ids)
    assert fast == [2] * len(ids)  # each read the count the slow call stored
    assert active(second).get("TestActor", 0) > 0  # some did move
