"""Fault soak: kill -9 the runtime, the agent app, the notifier or the runner while reminders fire.

Starts the real system as separate processes (pm-agent and notifier sidecars, ``python -m agent``,
``python -m notifier``) with one runtime home and one state file, assigns ``--tasks`` tasks whose
reminders (and overdue notices; every fifth task also escalates three times, every fifth recurs
three times) fall due over ``--window`` seconds, kills processes with SIGKILL at
seeded-random moments and restarts them, then checks that every expected notification is stored
exactly once, delivered, and not created before its time. Exits 1 on any loss, duplicate or
early notification. ``--victims runner`` runs the system as ``./dev up`` does, one
``sidecar run -f`` process, and SIGKILLs that process alone (its apps must die with it), then
starts it again.

    ./dev bench fault_soak --tasks 1000 --seed 7
    ./dev bench fault_soak --tasks 1000 --seed 7 --victims runner
    ./dev bench fault_soak --ha --tasks 1000 --seed 7 [--runtime local]

``--ha`` runs the HA topology instead (two agent replicas, three schedulers and placements on
real Dapr, a shared Redis; ``--runtime local``: two agent replicas on the local runtime) and
kills an agent replica, a scheduler replica and the notifier; its window is paced to what two
cores carry of that topology (4 tasks/s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults._ha import HASystem, ha_victims  # noqa: E402
from tests.faults._ha_local import LocalHASystem  # noqa: E402
from tests.faults._system import (  # noqa: E402
    AGENT,
    AGENT_SIDECAR,
    DEFAULT_VICTIMS,
    NOTIFIER,
    NOTIFIER_SIDECAR,
    RUNNER,
    System,
    Verdict,
    run_fault_scenario,
)

VICTIMS = (AGENT_SIDECAR, AGENT, NOTIFIER, NOTIFIER_SIDECAR, RUNNER)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks",
        type=int,
        default=1000,
        help="tasks: 2 notifications each; a fifth escalate 3 times, a fifth recur 3 times",
    )
    parser.add_argument("--agents", type=int, default=0, help="agent ids (default tasks/25)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--window", type=float, default=0, help="seconds (default tasks/25; with --ha tasks/4)"
    )
    parser.add_argument(
        "--kills", type=int, default=0, help="default: one per 4 s of window (--ha: per 40 s)"
    )
    parser.add_argument("--lead", type=float, default=0, help="seconds before the first is due")
    parser.add_argument("--settle", type=float, default=120, help="max wait after the last due")
    parser.add_argument(
        "--victims",
        default=",".join(DEFAULT_VICTIMS),
        help=f"comma-separated, from {','.join(VICTIMS)}",
    )
    parser.add_argument("--ha", action="store_true", help="HA topology on real Dapr")
    parser.add_argument(
        "--runtime", choices=("dapr", "local"), default="dapr", help="of --ha (default dapr)"
    )
    parser.add_argument("--keep", type=Path, help="keep the home, state file and logs here")
    return parser.parse_args(argv)


async def soak(args: argparse.Namespace, root: Path) -> int:
    window = args.window or max(20.0, args.tasks / 25)
    victims = tuple(v for v in args.victims.split(",") if v)
    if args.ha:
        window = args.window or max(20.0, args.tasks / HA_TASKS_PER_SECOND)
        return await report(args, root, window, await soak_ha(args, root, window))
    unknown = set(victims) - set(VICTIMS)
    if unknown:
        raise SystemExit(f"unknown victims: {sorted(unknown)}")
    if RUNNER in victims and victims != (RUNNER,):
        raise SystemExit("the runner victim runs the system as one `sidecar run -f`: use it alone")
    verdict = await run_fault_scenario(
        root,
        tasks=args.tasks,
        agents=args.agents or max(4, args.tasks // 25),
        seed=args.seed,
        window=window,
        kills=args.kills or max(len(victims), int(window / 4)),
        lead=args.lead or 5 + args.tasks * 0.1,  # assigning 1,000 took 50 s under load
        settle=args.settle,
        victims=victims,
        as_runner=victims == (RUNNER,),
    )
    return await report(args, root, window, verdict)


# The HA topology (8 daprds or sidecars, 6 apps, 3 schedulers, 3 placements, Redis) spends ~75 ms
# of CPU per notification (bench ha_sizing) and a task yields 3.4 on average: 4 tasks/s keep two
# cores about half busy. Faster, a replica killed leaves its survivor queueing for minutes, and
# that is the machine's limit, not a fault the soak is after.
HA_TASKS_PER_SECOND = 4


async def soak_ha(args: argparse.Namespace, root: Path, window: float) -> Verdict:
    victims = ha_victims(random.Random(args.seed))
    system: System = HASystem(root)
    if args.runtime == "local":  # no scheduler replicas: each sidecar schedules from the home
        victims = (f"{AGENT}-0", f"{AGENT}-1", NOTIFIER)
        system = LocalHASystem(root)
    return await run_fault_scenario(
        root,
        tasks=args.tasks,
        agents=args.agents or max(4, args.tasks // 25),
        seed=args.seed,
        window=window,
        kills=args.kills or max(len(victims), int(window / 40)),
        lead=args.lead or 10 + args.tasks * 0.1,  # real Dapr assigns slower
        settle=args.settle,
        victims=victims,
        system=system,
    )


async def report(args: argparse.Namespace, root: Path, window: float, verdict: Verdict) -> int:
    print(f"fault soak: tasks={args.tasks} seed={args.seed} window={window:.0f}s root={root}")
    for name, value in verdict.counts().items():
        print(f"  {name:24} {value}")
    print(f"  {'seconds':24} {verdict.seconds:.1f}")
    print(f"  kills: {', '.join(verdict.kills)}")
    for move in verdict.moves:
        print(f"  actors moved: {move}")
    for label, ids in (
        ("missing", verdict.missing),
        ("early", verdict.early),
        ("undelivered", verdict.undelivered),
        ("unexpected", verdict.unexpected),
        ("not in notifier list", verdict.not_listed),
    ):
        if ids:
            print(f"  {label}: {', '.join(ids[:20])}{' ...' if len(ids) > 20 else ''}")
    print("PASS" if verdict.ok else "FAIL")
    return 0 if verdict.ok else 1


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        return asyncio.run(soak(args, args.keep.resolve()))
    with tempfile.TemporaryDirectory(prefix="fault-soak-") as tmp:
        return asyncio.run(soak(args, Path(tmp)))


if __name__ == "__main__":
    raise SystemExit(main())
