"""The whole product's idle footprint: resident memory of each process once the system is up
and has settled (no requests), on the local runtime and on real Dapr.

Usage: ./dev bench footprint [--runtimes separate,local,dapr] [--settle 10] [--runs 1]
``separate``: two ``sidecar run`` processes, the agent and the notifier; ``local``: the run file
as ``./dev up`` runs it (one ``sidecar run -f`` holding both sidecars, the two apps its
children); ``dapr``: the same run file on daprd ×2, placement and scheduler
(``./dev up --runtime dapr``). RSS counts shared pages in every process that maps them; PSS
splits them, so PSS adds up to the machine's real cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from httpx_aiohttp import HttpxAiohttpClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import _proctree as proctree  # noqa: E402
from tests.faults._system import System  # noqa: E402

LAUNCHERS = {"sidecar run -f", "real_dapr"}  # counted apart: not part of what daprd's run costs


async def footprint(runtime: str, settle: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        system = System(Path(tmp), as_runner=runtime != "separate", runtime=runtime)
        try:
            async with HttpxAiohttpClient(timeout=60) as client:
                await system.start(client, timeout=180)
            await asyncio.sleep(settle)  # idle on purpose: the figure is the settled footprint
            procs = proctree.tree([p.pid for p in system.procs.values()])
            rss = {name: round(proctree.rss_mib(pid), 1) for name, pid in procs.items()}
            pss = {name: round(proctree.pss_mib(pid), 1) for name, pid in procs.items()}
        finally:
            system.stop()
    product = [n for n in procs if n not in LAUNCHERS or runtime == "local"]
    return {
        "rss_mib": rss,
        "pss_mib": pss,
        "rss_total_mib": round(sum(rss[n] for n in product), 1),
        "pss_total_mib": round(sum(pss[n] for n in product), 1),
        "load": round(proctree.load_average(), 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtimes", default="separate,local,dapr")
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for run in range(args.runs):
        for runtime in args.runtimes.split(","):
            result = await footprint(runtime, args.settle)
            print(json.dumps({"bench": "footprint", "runtime": runtime, "run": run, **result}))


if __name__ == "__main__":
    asyncio.run(main())
