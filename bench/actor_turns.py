"""Cost of one actor turn with many actors active, and the worst event-loop stall meanwhile.

The actor table is driven in-process (no HTTP): ``--actors`` actors are activated, then
``--turns`` turns are taken on random actors. A sampler task measures how late it wakes up
every millisecond: its worst lateness is the worst stall of the event loop. Prints one JSON line.

    ./dev bench actor_turns --actors 100000 --turns 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time

from sidecar.actors._app_config import TypeConfig
from sidecar.actors._table import ActorTable
from sidecar.clock import SystemClock


async def _stall_sampler(worst: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        worst.append(time.perf_counter() - before - 0.001)


async def _deactivated(actor_type: str, actor_id: str) -> None:
    return None


async def run(actors: int, turns: int) -> dict[str, float]:
    table = ActorTable(SystemClock(), lambda _t: TypeConfig(idle_timeout=3600.0), _deactivated)
    table.start()
    for i in range(actors):
        async with table.turn("A", str(i), None):
            pass
    stalls: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(_stall_sampler(stalls, stop))
    rng = random.Random(1)
    costs = []
    for _ in range(turns):
        start = time.perf_counter()
        async with table.turn("A", str(rng.randrange(actors)), None):
            pass
        await asyncio.sleep(0)  # let the idle task react to the turn, as it would between requests
        costs.append(time.perf_counter() - start)
    stop.set()
    await sampler
    await table.stop()
    return {
        "actors": actors,
        "turns": turns,
        "turn_us_median": round(statistics.median(costs) * 1e6, 1),
        "turn_us_p99": round(sorted(costs)[int(len(costs) * 0.99)] * 1e6, 1),
        "worst_loop_stall_ms": round(max(stalls) * 1e3, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=20_000)
    args = parser.parse_args()
    sys.stdout.write(json.dumps(asyncio.run(run(args.actors, args.turns))) + "\n")


if __name__ == "__main__":
    main()
