"""HTTP API throughput of one runtime: job creates with 16 concurrent clients, fires per second
into a real HTTP app (a Starlette/uvicorn no-op), and resident memory with many jobs pending.

Usage: ./dev bench http_api [--runtimes local,dapr] [--creates 20000] [--clients 16]
       [--fires 5000] [--pending 100000]
``local`` is one ``sidecar run`` process; ``dapr`` is real daprd with its scheduler (built by
``./dev dapr-install``), measured in the same run, one after the other, with the same app and
load; the ratios local/dapr are printed last. The load generator runs on the same 2-core machine,
so it competes with the runtime for CPU.
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
    url: str, total: int, clients: int, body: dict[str, object], prefix: str = "j"
) -> dict[str, float]:
    latencies: list[float] = []
    counter = iter(range(total))
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            r = await client.post(f"{url}/v1.0/jobs/{prefix}-{i}", json=body)
            latencies.append(time.perf_counter() - t0)
            errors += r.status_code != 204

    start = time.perf_counter()
    clients_ = [HttpxAiohttpClient(timeout=30) for _ in range(clients)]
    await asyncio.gather(*(worker(c) for c in clients_))
    elapsed = time.perf_counter() - start
    for c in clients_:
        await c.aclose()
    if not latencies:
        return {"creates_per_s": 0, "p50_ms": 0, "p99_ms": 0, "errors": 0}
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


async def measure(runtime: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, Procs() as procs:
        app_port = procs.noop_app(Path(tmp))
        if runtime == "dapr":
            url = procs.daprd(Path(tmp), "bench", app_port)
        else:
            url = procs.sidecar(Path(tmp) / "home", "bench", app_port)
        far = {"dueTime": "24h", "data": "perftest"}  # Dapr's own perf-test payload
        creates = await create_load(url, args.creates, args.clients, far)
        print(json.dumps({"bench": "http_creates", "runtime": runtime, **creates}))
        fires = await fire_load(url, app_port, args.fires, args.clients)
        print(json.dumps({"bench": "http_fires", "runtime": runtime, **fires}))
        more = max(0, args.pending - args.creates)
        await create_load(url, more, args.clients, far, prefix="p")
        rss = {"pending": args.creates + more, "rss_mib": procs.rss_mib()}
        print(json.dumps({"bench": "pending_memory", "runtime": runtime, **rss}))
        return {
            "creates_per_s": creates["creates_per_s"],
            "fires_per_s": fires["fires_per_s"],
            "rss_mib": rss["rss_mib"],
        }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtimes", default="local")
    parser.add_argument("--creates", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--fires", type=int, default=5_000)
    parser.add_argument("--pending", type=int, default=0, help="jobs pending for the RSS figure")
    args = parser.parse_args()
    results = {rt: await measure(rt, args) for rt in args.runtimes.split(",")}
    if {"local", "dapr"} <= results.keys():
        ratios = {k: round(v / results["dapr"][k], 2) for k, v in results["local"].items()}
        print(json.dumps({"bench": "ratio_local_over_dapr", **ratios}))


if __name__ == "__main__":
    asyncio.run(main())
