"""HTTP API throughput of one sidecar process: job creates with 16 concurrent clients, and fires
per second into a real HTTP app (a Starlette/uvicorn no-op).

Usage: ./dev bench http_api [--creates 20000] [--clients 16] [--fires 5000]
The load generator runs on the same 2-core machine, so it competes with the sidecar for CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from httpx_aiohttp import HttpxAiohttpClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _procs import Procs  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def create_load(
    url: str, total: int, clients: int, body: dict[str, object]
) -> dict[str, float]:
    latencies: list[float] = []
    counter = iter(range(total))
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            r = await client.post(f"{url}/v1.0/jobs/j-{i}", json=body)
            latencies.append(time.perf_counter() - t0)
            errors += r.status_code != 204

    start = time.perf_counter()
    clients_ = [HttpxAiohttpClient(timeout=30) for _ in range(clients)]
    await asyncio.gather(*(worker(c) for c in clients_))
    elapsed = time.perf_counter() - start
    for c in clients_:
        await c.aclose()
    return {
        "creates_per_s": round(total / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(pct(latencies, 0.99) * 1000, 2),
        "errors": errors,
    }


async def fire_load(url: str, app_port: int, n: int, clients: int) -> dict[str, float]:
    due = datetime.now(UTC) + timedelta(seconds=5 + n / 1500)
    body = {"dueTime": due.isoformat(), "data": {"k": "v"}}
    counter = iter(range(n))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            await client.post(f"{url}/v1.0/jobs/f-{i}", json=body)

    async with HttpxAiohttpClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        if datetime.now(UTC) >= due:
            raise RuntimeError("setup took longer than the lead time; lower --fires")
        count: dict[str, float] = {"count": 0}
        while count["count"] < n:
            await asyncio.sleep(0.2)
            count = (await client.get(f"http://127.0.0.1:{app_port}/count")).json()
    window = count["last"] - due.timestamp()
    return {
        "fires": n,
        "fires_per_s": round(n / max(window, 1e-3)),
        "first_fire_after_due_ms": round((count["first"] - due.timestamp()) * 1000, 1),
        "all_fired_after_due_s": round(window, 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--fires", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Procs() as procs:
        app_port = procs.noop_app(Path(tmp))
        url = procs.sidecar(Path(tmp) / "home", "bench", app_port)
        far = {"dueTime": "24h", "data": "perftest"}  # Dapr's own perf-test payload
        creates = await create_load(url, args.creates, args.clients, far)
        print(json.dumps({"bench": "http_creates", "clients": args.clients, **creates}))
        fires = await fire_load(url, app_port, args.fires, args.clients)
        print(json.dumps({"bench": "http_fires", **fires}))


if __name__ == "__main__":
    asyncio.run(main())
