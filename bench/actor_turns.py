"""Actors at scale: the actor table in-process with many actors active, and one actor call's
latency through a real sidecar.

In-process (no HTTP): ``--actors`` actors are activated (cost per activation, resident memory per
actor; each activation recorded in a real registry file, as a sidecar records it, unless
``--no-records``), then ``--turns`` turns are taken on random actors while a sampler task
measures how late it wakes up every millisecond (its worst lateness is the worst stall of the
event loop). Then every actor's idle timeout passes at once on a manual clock: the idle sweep's
cost per actor and the worst stall it causes. The process's garbage collector is set as
``sidecar run`` sets it (``--default-gc``: CPython's defaults).

Through the sidecar (``--calls``, 0 to skip): one ``sidecar run`` process and a Starlette/uvicorn
app hosting one actor type with a no-op method; ``POST /v1.0/actors/{type}/{id}/method/{m}`` over
``--call-actors`` actor ids, from 1 client and from 16: latency p50/p99 and calls/s.

    ./dev bench actor_turns --actors 100000 --turns 20000 --calls 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from httpx_aiohttp import HttpxAiohttpClient

from sidecar import _collector
from sidecar.actors._app_config import TypeConfig
from sidecar.actors._table import ActorTable
from sidecar.clock import ManualClock
from sidecar.registry import Entry, Registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _procs import Procs  # noqa: E402  (it puts the repository on sys.path)

from tests.integration._components import write_statestore  # noqa: E402

ACTOR_APP = textwrap.dedent(
    """
    import sys
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
    import uvicorn

    async def config(request):
        return JSONResponse({"entities": ["Bench"], "actorIdleTimeout": "1h"})

    async def method(request):
        await request.body()
        return JSONResponse({"ok": True})

    async def deactivate(request):
        return Response(status_code=200)

    async def healthz(request):
        return Response(status_code=200)

    app = Starlette(routes=[
        Route("/dapr/config", config),
        Route("/healthz", healthz),
        Route("/actors/{type}/{id}/method/{name}", method, methods=["PUT", "POST"]),
        Route("/actors/{type}/{id}", deactivate, methods=["DELETE"]),
    ])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
    """
)


def rss_mib() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _stall_sampler(worst: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        worst.append(time.perf_counter() - before - 0.001)


async def _sampled(work: asyncio.Future[object] | asyncio.Task[object]) -> float:
    """Await ``work`` with the stall sampler running; the worst stall in ms."""
    stalls: list[float] = [0.0]
    stop = asyncio.Event()
    sampler = asyncio.create_task(_stall_sampler(stalls, stop))
    await work
    stop.set()
    await sampler
    return round(max(stalls) * 1e3, 2)


async def table_figures(actors: int, turns: int, home: Path | None) -> dict[str, float]:
    """The table's figures; with ``home``, activations recorded in a registry there."""
    clock = ManualClock(start=1_000.0)
    gone: list[str] = []
    all_gone = asyncio.Event()

    async def deactivated(actor_type: str, actor_id: str) -> None:
        gone.append(actor_id)
        if len(gone) == actors:
            all_gone.set()

    registry = Registry(home) if home is not None else None
    records: dict[str, Any] = {}
    if registry is not None:
        await registry.register(Entry("me", "bench", "default", "127.0.0.1", 1, os.getpid(), 0.0))

        async def record(actor_type: str, actor_id: str) -> None:
            await registry.activate("default", actor_type, actor_id, "me")

        async def drop(actor_type: str, actor_id: str) -> None:
            await registry.deactivate("default", actor_type, actor_id, "me")

        records = {"activated": record, "deactivated": drop}
    config = lambda _t: TypeConfig(idle_timeout=3600.0)  # noqa: E731
    table = ActorTable(clock, config, deactivated, **records)
    table.start()
    before = rss_mib()
    start = time.perf_counter()
    for i in range(actors):
        async with table.turn("A", str(i), None):
            pass
    activation = (time.perf_counter() - start) / actors
    out: dict[str, float] = {
        "actors": actors,
        "records": registry is not None,
        "activation_us": round(activation * 1e6, 1),
        "rss_mib_for_actors": round(rss_mib() - before, 1),
        "bytes_per_actor": round((rss_mib() - before) * 2**20 / actors),
    }
    out |= await _turn_figures(table, actors, turns)
    clock.advance(3601)  # every actor is idle past its timeout at once
    start = time.perf_counter()
    out["sweep_worst_loop_stall_ms"] = await _sampled(
        asyncio.ensure_future(asyncio.wait_for(all_gone.wait(), 600))
    )
    out["sweep_us_per_actor"] = round((time.perf_counter() - start) / actors * 1e6, 2)
    await table.stop()
    if registry is not None:
        await registry.close()
    return out


async def _turn_figures(table: ActorTable, actors: int, turns: int) -> dict[str, float]:
    rng = random.Random(1)
    costs: list[float] = []

    async def take_turns() -> None:
        for _ in range(turns):
            start = time.perf_counter()
            async with table.turn("A", str(rng.randrange(actors)), None):
                pass
            await asyncio.sleep(0)  # let the idle task react, as it would between requests
            costs.append(time.perf_counter() - start)

    stall = await _sampled(asyncio.ensure_future(take_turns()))
    return {
        "turns": turns,
        "turn_us_median": round(statistics.median(costs) * 1e6, 1),
        "turn_us_p99": round(pct(costs, 0.99) * 1e6, 1),
        "turns_worst_loop_stall_ms": stall,
    }


async def call_figures(calls: int, ids: int) -> list[dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp, Procs() as procs:
        app_port = _start_actor_app(procs, Path(tmp))
        resources = Path(tmp) / "resources"
        write_statestore(resources, Path(tmp) / "s.db", busy_timeout=False)
        home = Path(tmp) / "home"
        url = procs.sidecar(home, "bench", app_port, "--resources-path", str(resources))
        await _hosting(url, "Bench")
        await _calls(url, min(calls, 200), 16, ids)  # warm up: connections, placement
        return [await _calls(url, calls, clients, ids) for clients in (1, 16)]


async def _hosting(url: str, actor_type: str, timeout: float = 60.0) -> None:
    """Wait (bounded) until the sidecar's metadata lists ``actor_type`` as hosted."""
    deadline = time.monotonic() + timeout
    async with HttpxAiohttpClient(timeout=5) as client:
        while time.monotonic() < deadline:
            meta = (await client.get(f"{url}/v1.0/metadata")).json()
            if any(a.get("type") == actor_type for a in meta.get("actors") or []):
                return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"the sidecar never hosted {actor_type}: {meta}")


def _start_actor_app(procs: Procs, tmp: Path) -> int:
    return procs.script_app(tmp / "actor_app.py", ACTOR_APP, "/healthz")


async def _calls(url: str, calls: int, clients: int, ids: int) -> dict[str, float]:
    latencies: list[float] = []
    counter = iter(range(calls))

    async def worker(client: HttpxAiohttpClient) -> None:
        for i in counter:
            target = f"{url}/v1.0/actors/Bench/a{i % ids}/method/Ping"
            start = time.perf_counter()
            r = await client.post(target, content=b"{}")
            latencies.append(time.perf_counter() - start)
            if r.status_code != 200:
                raise RuntimeError(f"actor call answered {r.status_code}: {r.text}")

    start = time.perf_counter()
    async with HttpxAiohttpClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return {
        "clients": clients,
        "calls": calls,
        "calls_per_s": round(calls / (time.perf_counter() - start)),
        "p50_ms": round(statistics.median(latencies) * 1e3, 2),
        "p99_ms": round(pct(latencies, 0.99) * 1e3, 2),
        "loadavg_1m": os.getloadavg()[0],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=2_000, help="actor calls via a sidecar")
    parser.add_argument("--call-actors", type=int, default=100, help="actor ids they spread on")
    parser.add_argument(
        "--no-records", action="store_true", help="activations not recorded in a registry"
    )
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="CPython's collector settings, not those `sidecar run` sets (sidecar/_collector.py)",
    )
    args = parser.parse_args()
    if not args.default_gc:
        _collector.settle()
    with tempfile.TemporaryDirectory() as tmp:
        home = None if args.no_records else Path(tmp)
        table = await table_figures(args.actors, args.turns, home)
    sys.stdout.write(json.dumps({"bench": "actor_table", **table}) + "\n")
    if args.calls:
        for row in await call_figures(args.calls, args.call_actors):
            sys.stdout.write(json.dumps({"bench": "actor_call", **row}) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
