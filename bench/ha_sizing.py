"""Sizing figures on the HA topology of real Dapr (``tests/faults/_ha.py``): what one pending
task costs in the scheduler's etcd and in the Redis state store, and the CPU time one fire takes
across every process (daprds, apps, schedulers, placements, Redis).

1. ``--pending`` tasks due in a day (two jobs each: reminder and overdue) are assigned; the
   growth of scheduler-0's etcd database in use (``etcd_mvcc_db_total_size_in_use_in_bytes``)
   and of Redis (``used_memory``, keys) is divided by them.
2. ``--fires`` tasks due within ``--window`` seconds are assigned and waited for (two
   notifications each, more for the fifth that escalate and the fifth that recur); the CPU
   seconds every process used from the first assignment to the last stored notification, less
   what the system uses idle over the same time, divided by the notifications, is the cost of
   one fire (its share of assigning included), given per process too.

    ./dev bench ha_sizing --pending 5000 --fires 500
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults._ha import HASystem  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(system: HASystem) -> dict[str, float]:
    """User + system CPU of every live process of the system, by unit (daprd, app, ...)."""
    found: dict[str, float] = {}
    for name, unit in system.procs.items():
        for proc, _, _ in unit.parts:
            if proc.alive():
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICK
    return found


def used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def etcd_bytes(system: HASystem) -> int:
    """scheduler-0's etcd database in use (its metric), a full replica of every job."""
    unit = system.procs["scheduler-0"]
    metrics_port = unit.parts[0][0].args[unit.parts[0][0].args.index("--metrics-port") + 1]
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("etcd_mvcc_db_total_size_in_use"))
    return int(float(line.split()[-1]))


def redis_figures(system: HASystem) -> tuple[int, int]:
    with system.redis_client() as conn:
        return int(conn.info("memory")["used_memory"]), int(conn.dbsize())


async def pending(system: HASystem, client: httpx.AsyncClient, tasks: int) -> None:
    etcd0, (mem0, keys0) = etcd_bytes(system), redis_figures(system)
    started = time.monotonic()
    await system.assign_spread(
        client,
        random.Random(1),
        tasks=tasks,
        agents=max(4, tasks // 25),
        first_reminder=datetime.now(UTC) + timedelta(days=1),
        window=3600,
    )
    seconds = time.monotonic() - started
    await asyncio.sleep(1)  # etcd's backend commits every 100 ms; let the last batch land
    etcd1, (mem1, keys1) = etcd_bytes(system), redis_figures(system)
    print(f"pending: {tasks} tasks ({2 * tasks} jobs) assigned in {seconds:.1f}s")
    print(
        f"  scheduler-0 etcd db in use: {etcd0} -> {etcd1} bytes,"
        f" {(etcd1 - etcd0) / (2 * tasks):.0f} per job"
    )
    print(f"  redis used_memory: {mem0} -> {mem1}, {(mem1 - mem0) / tasks:.0f} bytes per task")
    print(f"  redis keys: {keys0} -> {keys1} ({(keys1 - keys0) / tasks:.2f} per task)")


async def idle_rate(system: HASystem, seconds: float = 15) -> float:
    """CPU seconds per second the system spends with nothing to do (raft and etcd heartbeats,
    health checks, the agents' self-check), to take out of the fires' figure."""
    before = cpu_seconds(system)
    await asyncio.sleep(seconds)
    return sum(used(before, cpu_seconds(system)).values()) / seconds


async def fires(system: HASystem, client: httpx.AsyncClient, tasks: int, window: float) -> None:
    idle = await idle_rate(system)
    cpu0, started = cpu_seconds(system), time.monotonic()
    planned = await system.assign_spread(
        client,
        random.Random(2),
        tasks=tasks,
        agents=max(4, tasks // 25),
        first_reminder=datetime.now(UTC) + timedelta(seconds=10 + tasks * 0.15),
        window=window,
        prefix="f",  # not the ids of the pending tasks
    )
    done = await system.wait_for_all(planned, window + 180)
    spent, seconds = used(cpu0, cpu_seconds(system)), time.monotonic() - started
    count = sum(len(p.expected()) for p in planned)
    total = sum(spent.values())
    net = total - idle * seconds
    print(
        f"fires: {count} notifications {'all stored' if done else 'NOT all stored'}"
        f" in {seconds:.1f}s"
    )
    print(f"  CPU of all processes: {total:.1f}s, {1000 * total / count:.1f} ms per fire")
    print(f"  idle CPU {idle:.3f} s/s; less idle: {net:.1f}s, {1000 * net / count:.1f} ms per fire")
    for name, cpu in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"    {name:24} {cpu:7.1f}s  {1000 * cpu / count:6.1f} ms per fire")


async def main_async(args: argparse.Namespace, root: Path) -> None:
    system = HASystem(root)
    async with httpx.AsyncClient(timeout=30) as client:
        try:
            await system.start(client)
            await pending(system, client, args.pending)
            await fires(system, client, args.fires, args.window)
        finally:
            system.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=5000)
    parser.add_argument("--fires", type=int, default=500)
    parser.add_argument("--window", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ha-sizing-") as tmp:
        asyncio.run(main_async(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
