"""Turn-based concurrency and reentrancy, observed through the real SDK."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .conftest import Runtime, api, proxy, with_sdk

pytestmark = pytest.mark.integration


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


async def test_calls_to_one_actor_never_overlap(runtime: Runtime) -> None:
    sc = await runtime.sidecar()

    async def both() -> Any:
        p = proxy("TestActor", "same")
        return await asyncio.gather(p.Hold(0.3), p.Hold(0.3), p.Hold(0.3))

    spans = await with_sdk(sc.http_port, both)
    assert not any(_overlap(a, b) for i, a in enumerate(spans) for b in spans[i + 1 :])


async def test_calls_to_different_actors_run_in_parallel(runtime: Runtime) -> None:
    sc = await runtime.sidecar()

    async def both() -> Any:
        return await asyncio.gather(
            proxy("TestActor", "p1").Hold(0.5), proxy("TestActor", "p2").Hold(0.5)
        )

    first, second = await with_sdk(sc.http_port, both)
    assert _overlap(first, second)


async def test_reentrant_self_call_enters_the_running_turn(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    result = await with_sdk(sc.http_port, lambda: proxy("ReentrantActor", "r").CallSelf(10))
    assert result == "pong r"
    assert await with_sdk(sc.http_port, lambda: proxy("ReentrantActor", "r").Nest(4)) == 4


async def test_reentrancy_depth_limit(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    async with api(sc) as client:
        resp = await client.post("/v1.0/actors/ReentrantActor/deep/method/Nest", content=b"5")
    assert resp.status_code == 500
    assert resp.json()["errorCode"] == "ERR_ACTOR_INVOKE_METHOD"
    assert "ERR_ACTOR_STACK_DEPTH" in resp.text


async def test_self_call_without_reentrancy_waits_behind_its_caller(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    result = await with_sdk(sc.http_port, lambda: proxy("TestActor", "loop").CallSelf(1.0))
    assert result == "timeout"


async def test_reentrancy_id_is_generated_for_reentrant_types_only(runtime: Runtime) -> None:
    sc = await runtime.sidecar()
    rt: Any = sc.extensions[-1]
    seen: list[dict[str, str]] = []
    original = rt.router.call_app

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append({k.lower(): v for k, v in args[0].headers.items()})
        return await original(*args, **kwargs)

    rt.router.call_app = spy
    async with api(sc) as client:
        await client.post("/v1.0/actors/ReentrantActor/h/method/Ping")
        await client.post("/v1.0/actors/TestActor/h/method/Ping")
    assert "dapr-reentrancy-id" in seen[0]
    assert "dapr-reentrancy-id" not in seen[1]
