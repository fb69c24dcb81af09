"""HTTP API throughput of one runtime: job creates with 16 concurrent clients, fires per second
into a real HTTP app (a Starlette/uvicorn no-op), and resident memory with many jobs pending.

Usage: ./dev bench http_api [--runtimes local,dapr] [--creates 20000] [--clients 16]
       [--fires 5000] [--paced-rate 5000] [--paced-seconds 2] [--pending 100000]
``local`` is one ``sidecar run`` process; ``dapr`` is real daprd with its scheduler (built by
``./dev dapr-install``), measured in the same run, one after the other, with the same app and
load; the ratios local/dapr are printed last. The load generator runs on the same 2-core machine,
so it competes with the runtime for CPU.

Phases: creates (16 clients, jobs due in a day); a burst of ``--fires`` jobs due at one instant
(fires/s until the last arrived); a paced run of jobs due evenly at ``--paced-rate`` per second
for ``--paced-seconds`` (each fire's lateness: arrival at the app minus its due time). Each phase
also reports the CPU seconds the runtime's processes (and the app) spent on it, per operation,
from ``/proc/<pid>/stat``: unlike wall figures these hold on a machine others load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


async def schedule_at(url: str, dues: list[datetime], clients: int, prefix: str) -> None:
    counter = iter(enumerate(dues))

    async def worker(client: httpx.AsyncClient) -> None:
        for i, due in counter:
            body = {"dueTime": due.isoformat(), "data": {"k": "v"}}
            await client.post(f"{url}/v1.0/jobs/{prefix}-{i}", json=body)

    async with HttpxAiohttpClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    if datetime.now(UTC) >= min(dues):
        raise RuntimeError("setup took longer than the lead time; lower the number of jobs")


async def fired(app_port: int, n: int, timeout: float) -> dict[str, float]:
    """Wait (bounded) until the app saw ``n`` fires; the app's record of them."""
    deadline = time.monotonic() + timeout
    async with HttpxAiohttpClient(timeout=30) as client:
        while time.monotonic() < deadline:
            record = (await client.get(f"http://127.0.0.1:{app_port}/fires")).json()
            if len(record["names"]) >= n:
                return dict(zip(record["names"], record["times"], strict=True))
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the app saw {len(record['names'])} of {n} fires in {timeout} s")


def lead_time(n: int, args: argparse.Namespace) -> timedelta:
    """Time to create ``n`` jobs at the create rate measured first, twice over, plus 3 s."""
    return timedelta(seconds=3 + 2 * n / max(args.measured_create_rate, 1))


async def fire_load(
    procs: Procs, url: str, app_port: int, n: int, args: argparse.Namespace
) -> dict[str, float]:
    clients = args.clients
    due = datetime.now(UTC) + lead_time(n, args)
    await schedule_at(url, [due] * n, clients, "f")
    cpu = procs.cpu_seconds()
    times = [t for name, t in (await fired(app_port, n, 300)).items() if name.startswith("f-")]
    cost = cpu_note(procs, cpu, n)
    window = max(times) - due.timestamp()
    return cost | {
        "fires": n,
        "fires_per_s": round(n / max(window, 1e-3)),
        "first_fire_after_due_ms": round((min(times) - due.timestamp()) * 1000, 1),
        "all_fired_after_due_s": round(window, 3),
    }


async def paced_load(
    procs: Procs, url: str, app_port: int, args: argparse.Namespace
) -> dict[str, float]:
    rate, n = args.paced_rate, int(args.paced_rate * args.paced_seconds)
    start = datetime.now(UTC) + lead_time(n, args)
    dues = [start + timedelta(seconds=i / rate) for i in range(n)]
    await schedule_at(url, dues, args.clients, "r")
    cpu = procs.cpu_seconds()
    seen = await fired(app_port, args.fires + n, args.paced_seconds + 300)
    cost = cpu_note(procs, cpu, n)
    late = sorted(seen[f"r-{i}"] - due.timestamp() for i, due in enumerate(dues))
    return cost | {
        "offered_per_s": rate,
        "fires": n,
        "lateness_p50_ms": round(pct(late, 0.5) * 1000, 1),
        "lateness_p99_ms": round(pct(late, 0.99) * 1000, 1),
        "lateness_max_ms": round(late[-1] * 1000, 1),
        "early": sum(1 for x in late if x < 0),
    }


def cpu_note(procs: Procs, before: list[float], ops: int) -> dict[str, float]:
    """Per operation: CPU ms of the runtime's processes (all but the app, the first) and app."""
    after = procs.cpu_seconds()
    spent = [a - b for a, b in zip(after, before, strict=False)]
    return {
        "runtime_cpu_ms_per_op": round(sum(spent[1:]) * 1000 / max(ops, 1), 3),
        "app_cpu_ms_per_op": round(spent[0] * 1000 / max(ops, 1), 3),
        "loadavg_1m": os.getloadavg()[0],
    }


async def measure(runtime: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, Procs() as procs:
        app_port = procs.noop_app(Path(tmp))
        if runtime == "dapr":
            url = procs.daprd(Path(tmp), "bench", app_port)
        else:
            url = procs.sidecar(Path(tmp) / "home", "bench", app_port)
        far = {"dueTime": "24h", "data": "perftest"}  # Dapr's own perf-test payload
        cpu = procs.cpu_seconds()
        creates = await create_load(url, args.creates, args.clients, far)
        creates |= cpu_note(procs, cpu, args.creates)
        print(json.dumps({"bench": "http_creates", "runtime": runtime, **creates}), flush=True)
        args.measured_create_rate = creates["creates_per_s"]
        fires = await fire_load(procs, url, app_port, args.fires, args)
        print(json.dumps({"bench": "http_fires", "runtime": runtime, **fires}), flush=True)
        paced = await paced_load(procs, url, app_port, args)
        print(json.dumps({"bench": "http_paced_fires", "runtime": runtime, **paced}), flush=True)
        more = max(0, args.pending - args.creates)
        await create_load(url, more, args.clients, far, prefix="p")
        rss = {"pending": args.creates + more, "rss_mib": procs.rss_mib()}
        print(json.dumps({"bench": "pending_memory", "runtime": runtime, **rss}), flush=True)
        return {
            "creates_per_s": creates["creates_per_s"],
            "create_cpu_ms": creates["runtime_cpu_ms_per_op"],
            "fires_per_s": fires["fires_per_s"],
            "fire_cpu_ms": fires["runtime_cpu_ms_per_op"],
            "paced_p99_ms": paced["lateness_p99_ms"],
            "paced_cpu_ms": paced["runtime_cpu_ms_per_op"],
            "rss_mib": rss["rss_mib"],
        }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtimes", default="local")
    parser.add_argument("--creates", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--fires", type=int, default=5_000)
    parser.add_argument("--paced-rate", type=float, default=5_000, help="fires/s offered")
    parser.add_argument("--paced-seconds", type=float, default=2.0)
    parser.add_argument("--pending", type=int, default=0, help="jobs pending for the RSS figure")
    args = parser.parse_args()
    results = {rt: await measure(rt, args) for rt in args.runtimes.split(",")}
    if {"local", "dapr"} <= results.keys():
        dapr = results["dapr"]
        ratios = {
            k: round(v / dapr[k], 2) if dapr[k] else None for k, v in results["local"].items()
        }
        print(json.dumps({"bench": "ratio_local_over_dapr", **ratios}))


if __name__ == "__main__":
    asyncio.run(main())
