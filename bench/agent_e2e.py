"""The agent end to end: tasks assigned per second across many agents, assign latency (p50,
p99), and the latency from a reminder's due time to its notification being stored.

Meanwhile a probe asks the pm-agent sidecar's ``/v1.0/healthz`` every 20 ms, one request at a
time; its worst answer time bounds the sidecar's worst event-loop stall under this load from
outside (a stalled loop answers nothing), and it works the same on real daprd.

Usage: ./dev bench agent_e2e [--assign 2000] [--agents 100] [--clients 16] [--fires 200]
                             [--runtimes separate,local,dapr] [--profile DIR] [--stalls DIR]
The assign figures include each process's CPU per assignment (``cpu_ms``, from
``/proc/<pid>/stat`` before and after the load; ``bench`` is this load generator) and the load
average. ``--profile DIR`` also records every Python process with py-spy during the assign load
(collapsed stacks in ``DIR/<runtime>/<process>.txt``; ``./dev bench profile_top`` sums them up).
``--stalls DIR`` times every event-loop callback and garbage-collector pass of every Python
process on the stdlib loop (``bench/_loopstall/sitecustomize.py``) from the start of the load and
reports each process's longest. ``separate`` runs the four processes (two sidecars, agent,
notifier) apart; ``local`` runs the run file as ``./dev up`` does (one ``sidecar run -f``);
``dapr`` runs the same run file on real daprd, placement and scheduler (``./dev up --runtime
dapr``). Each in turn, in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from httpx_aiohttp import HttpxAiohttpClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import _proctree as proctree  # noqa: E402
from tests.faults._system import System, _parse_time  # noqa: E402

STALL_PROBE = Path(__file__).resolve().parent / "_loopstall"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def assign_load(system: System, total: int, agents: int, clients: int) -> dict[str, float]:
    due = datetime.now(UTC) + timedelta(days=1)
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker(client: HttpxAiohttpClient) -> None:
        for i in counter:
            t0 = time.perf_counter()
            await system.assign(client, f"load-{i % agents}", f"t{i}", due, "1h")
            latencies.append(time.perf_counter() - t0)

    async with HttpxAiohttpClient(timeout=60) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return {
        "assigned": total,
        "agents": agents,
        "clients": clients,
        "assign_per_s": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(pct(latencies, 0.99) * 1000, 1),
    }


async def due_to_stored(system: System, tasks: int) -> dict[str, float]:
    rng = random.Random(1)
    async with HttpxAiohttpClient(timeout=60) as client:
        first = datetime.now(UTC) + timedelta(seconds=8 + tasks / 100)
        planned = await system.assign_spread(
            client, rng, tasks=tasks, agents=max(1, tasks // 10), first_reminder=first, window=5
        )
        if not await system.wait_for_all(planned, timeout=120 + tasks):
            raise RuntimeError("not every notification arrived")
    due = {
        f"{p.agent_id}:{p.task_id}:{kind}": at
        for p in planned
        for kind, at in (("reminder", p.remind_at), ("overdue", p.due_at))
    }
    lags = []
    for record in system.stored_notifications():
        note = record["notification"]
        key = f"{note['agent_id']}:{note['task_id']}:{note['kind']}"
        if key in due:
            lags.append((_parse_time(record["received_at"]) - due[key]).total_seconds())
    return {
        "notifications": len(lags),
        "p50_ms": round(statistics.median(lags) * 1000, 1),
        "p99_ms": round(pct(lags, 0.99) * 1000, 1),
        "max_ms": round(max(lags) * 1000, 1),
        "early": sum(1 for x in lags if x < 0),
    }


class StallProbe:
    """Times one ``GET /v1.0/healthz`` on the sidecar every ``interval`` s while running."""

    def __init__(self, url: str, interval: float = 0.02) -> None:
        self.url = url + "/v1.0/healthz"
        self.interval = interval
        self.samples: list[float] = []

    async def run(self, stop: asyncio.Event) -> None:
        async with HttpxAiohttpClient(timeout=60) as client:
            while not stop.is_set():
                t0 = time.perf_counter()
                await client.get(self.url)
                self.samples.append(time.perf_counter() - t0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    def figures(self) -> dict[str, float]:
        ms = [s * 1000 for s in self.samples]
        return {"probes": len(ms), "p99_ms": round(pct(ms, 0.99), 1), "max_ms": round(max(ms), 1)}


async def probed(probe: StallProbe, work: Awaitable[dict[str, float]]) -> dict[str, float]:
    """Run ``work`` with ``probe`` beside it; the probe's figures join the result."""
    stop = asyncio.Event()
    task = asyncio.create_task(probe.run(stop))
    try:
        result = await work
    finally:
        stop.set()
        await task
    stall = probe.figures()
    return {**result, "healthz_p99_ms": stall["p99_ms"], "healthz_max_ms": stall["max_ms"]}


async def with_cpu(
    system: System, count: int, work: Awaitable[dict[str, float]], profile: Path | None
) -> dict[str, object]:
    """Run ``work``; its result with each process's CPU ms per one of ``count`` operations."""
    procs = proctree.tree([p.pid for p in system.procs.values()])
    spies = proctree.profile(procs, profile) if profile else []
    if os.environ.get("BENCH_STALL_DIR"):  # the loop-stall counts begin with the load
        for pid in procs.values():  # Python processes only: SIGUSR2 ends a Go one
            with contextlib.suppress(OSError):
                if Path(os.readlink(f"/proc/{pid}/exe")).name.startswith("python"):
                    os.kill(pid, signal.SIGUSR2)
    procs["bench"] = os.getpid()
    before = proctree.cpu_of(procs)
    result = await work
    after = proctree.cpu_of(procs)
    proctree.stop_profiles(spies)
    cpu = {n: round(1000 * (after[n] - before[n]) / count, 2) for n in procs}
    total = round(sum(cpu.values()), 2)
    return {**result, "cpu_ms": cpu, "cpu_ms_total": total, "load": proctree.load_average()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assign", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--fires", type=int, default=200)
    parser.add_argument("--runtimes", default="separate")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--stalls", type=Path, default=None, help="time every loop callback")
    args = parser.parse_args()
    for runtime in args.runtimes.split(","):
        await measure(runtime, args)


async def measure(runtime: str, args: argparse.Namespace) -> None:
    stalls = args.stalls / runtime if args.stalls else None
    if stalls is not None:  # every process of the system loads bench/_loopstall/sitecustomize.py
        stalls.mkdir(parents=True, exist_ok=True)
        probe = str(STALL_PROBE)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [probe, os.environ.get("PYTHONPATH")])
        )
        os.environ["BENCH_STALL_DIR"] = str(stalls)
    with tempfile.TemporaryDirectory() as tmp:
        as_runner = runtime != "separate"
        system = System(Path(tmp), as_runner=as_runner, runtime=runtime)
        try:
            async with HttpxAiohttpClient(timeout=60) as client:
                await system.start(client, timeout=120)
            load = assign_load(system, args.assign, args.agents, args.clients)
            profile = args.profile / runtime if args.profile else None
            result = await with_cpu(
                system, args.assign, probed(StallProbe(system.agent_sidecar_url), load), profile
            )
            print(json.dumps({"bench": "agent_assign", "runtime": runtime, **result}))
            fires = due_to_stored(system, args.fires)
            result = await probed(StallProbe(system.agent_sidecar_url), fires)
            print(json.dumps({"bench": "agent_due_to_stored", "runtime": runtime, **result}))
        finally:
            system.stop()
    if stalls is not None:
        for key in ("PYTHONPATH", "BENCH_STALL_DIR"):
            os.environ.pop(key, None)
        print(json.dumps({"bench": "agent_loop_stalls", "runtime": runtime, **loop_stalls(stalls)}))


def loop_stalls(folder: Path) -> dict[str, object]:
    """Per process of the run: its longest event-loop callback, how many took 50 ms or more, and
    the three longest with what they ran (written by bench/_loopstall/sitecustomize.py)."""
    out: dict[str, object] = {}
    for file in sorted(folder.glob("*.json")):
        record = json.loads(file.read_text())
        if not record["worst"]:
            continue
        argv = record["argv"]
        name = " ".join(a for a in argv[1:4] if not a.startswith("-")) or argv[0]
        out[f"{name} ({file.stem})"] = {
            "callbacks": record["callbacks"],
            "max_ms": record["worst"][0]["ms"],
            "max_cpu_ms": max(w["cpu_ms"] for w in record["worst"]),
            "at_least_50ms": record["at_least_ms"]["50"],
            "at_least_10ms": record["at_least_ms"]["10"],
            "longest": record["worst"][:3],
            "gc": record["gc"],
        }
    return out


if __name__ == "__main__":
    asyncio.run(main())
