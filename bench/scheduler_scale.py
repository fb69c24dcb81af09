"""Scheduler scale, side by side with APScheduler 3.x (SQLAlchemy job store on SQLite).

For each system, in its own fresh process:
  1. create N durable one-shot jobs due in a day, one call each -> create rate
  2. resident memory after creating them                            -> RSS
  3. close and reopen the store, find the next due time             -> reopen time
     a second process opens it, claims an overdue job and is killed with SIGKILL mid-delivery;
     reopen, start a scheduler, wait for the job's first fire     -> restart time (kill -9)
  4. add B jobs due over the next few seconds, run the scheduler
     with a no-op callback until all fired                    -> fire rate, lateness, early fires

Usage: ./dev bench scheduler_scale --n 10000 --burst 5000 [--systems ours,apscheduler]
Prints one JSON line per system and a summary table with ratios (ours / apscheduler).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def db_mib(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.glob("scheduler.db*")) / 2**20, 1)


def lateness_stats(late: list[float]) -> dict[str, float]:
    ordered = sorted(late)
    if not ordered:
        return {}
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "p50_ms": round(pick(0.50) * 1000, 2),
        "p99_ms": round(pick(0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "early": sum(1 for x in ordered if x < 0),
    }


# --- ours ------------------------------------------------------------------------------------


async def run_ours(
    n: int, burst: int, spread: float, workdir: Path, sync: str = "NORMAL"
) -> dict[str, Any]:
    from sidecar.clock import SystemClock
    from sidecar.jobs import JobRecord, JobSpec, Outcome, Scheduler, SqliteJobStore

    owner, path, clock = "app||default||bench", workdir / "scheduler.db", SystemClock()
    spec = JobSpec(due_time="24h", data='"x"')
    out: dict[str, Any] = {"system": f"ours (synchronous={sync})", "n": n}
    async with SqliteJobStore(path, synchronous=sync) as store:
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            now = clock.now()
            rec = JobRecord(owner, f"job-{i}", spec, now, now + 86400, now + 86400)
            await store.put(rec, overwrite=False)
        out["create_per_s"] = round(n / (time.perf_counter() - start))
        out["create_cpu_us"] = round((time.process_time() - cpu) / n * 1e6, 1)
        out["loadavg_1m"] = os.getloadavg()[0]
        out["rss_mib_after_create"] = round(rss_mib(), 1)
    out["db_file_mib"] = db_mib(workdir)
    start = time.perf_counter()
    async with SqliteJobStore(path) as store:
        await store.next_due([owner])
        out["reopen_s"] = round(time.perf_counter() - start, 4)
    out["restart_after_kill_s"] = round(await restart_after_kill(path, owner), 4)
    async with SqliteJobStore(path) as store:
        fired: list[float] = []
        done = asyncio.Event()
        base = clock.now() + 1.0 + 1.5 * burst / out["create_per_s"]  # due after setup ends
        for i in range(burst):
            due = base + spread * i / max(burst, 1)
            await store.put(JobRecord(owner, f"b-{i}", spec, due, due, due), overwrite=False)

        async def noop(record: JobRecord) -> Outcome:
            fired.append(clock.now() - record.due_at)
            if len(fired) == burst:
                done.set()
            return Outcome.SUCCESS

        scheduler = Scheduler(store, clock)
        scheduler.serve(owner, noop)
        cpu = time.process_time()
        async with scheduler:
            await asyncio.wait_for(done.wait(), spread + 300)
        out["fire_cpu_us"] = round((time.process_time() - cpu) / burst * 1e6, 1)
        out["fire_per_s_offered"] = round(burst / spread)
        out["fire_window_s"] = round(clock.now() - base, 3)
        out["lateness"] = lateness_stats(fired)
        out["rss_mib_end"] = round(rss_mib(), 1)
    return out


async def victim(path: Path) -> None:
    """Claim an overdue job, say so on stdout, and hang in its delivery until killed."""
    from sidecar.clock import SystemClock
    from sidecar.jobs import JobRecord, JobSpec, Outcome, Scheduler, SqliteJobStore

    owner, clock, claimed = "app||default||bench", SystemClock(), asyncio.Event()

    async def hang(record: JobRecord) -> Outcome:
        claimed.set()
        await asyncio.Event().wait()
        return Outcome.SUCCESS

    async with SqliteJobStore(path) as store:
        now = clock.now()
        spec = JobSpec(due_time="1s", data='"x"')
        await store.put(JobRecord(owner, "overdue", spec, now, now, now), overwrite=True)
        scheduler = Scheduler(store, clock)
        scheduler.serve(owner, hang)
        async with scheduler:
            await claimed.wait()
            sys.stdout.write("claimed\n")
            sys.stdout.flush()
            await asyncio.Event().wait()


def kill_victim(path: Path) -> None:
    """Run ``victim`` in a process until it holds its lease, then SIGKILL it."""
    cmd = [sys.executable, __file__, "--victim", str(path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "claimed":
        raise RuntimeError(f"victim exited with {proc.wait()} before claiming")
    proc.send_signal(signal.SIGKILL)
    proc.wait()


async def restart_after_kill(path: Path, owner: str) -> float:
    """Seconds from reopening the store after a kill -9 to the first fire of the job the killed
    process held (its lease released on recovery, the job overdue)."""
    from sidecar.clock import SystemClock
    from sidecar.jobs import JobRecord, Outcome, Scheduler, SqliteJobStore

    kill_victim(path)
    fired = asyncio.Event()

    async def first(record: JobRecord) -> Outcome:
        fired.set()
        return Outcome.SUCCESS

    start = time.perf_counter()
    async with SqliteJobStore(path) as store:
        scheduler = Scheduler(store, SystemClock())
        scheduler.serve(owner, first)
        async with scheduler:
            await asyncio.wait_for(fired.wait(), 60)
            return time.perf_counter() - start


# --- APScheduler 3.x -------------------------------------------------------------------------

_APS_FIRED: list[float] = []


def aps_noop(due: float) -> None:
    _APS_FIRED.append(time.time() - due)


def run_apscheduler(n: int, burst: int, spread: float, workdir: Path) -> dict[str, Any]:
    from datetime import UTC, datetime

    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    url = f"sqlite:///{workdir / 'aps.db'}"
    out: dict[str, Any] = {"system": "apscheduler", "n": n}

    def make() -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=url)},
            executors={"default": ThreadPoolExecutor(20)},
            job_defaults={"misfire_grace_time": None, "coalesce": False},
            timezone=UTC,
        )

    sched = make()
    sched.start(paused=True)
    far = datetime.fromtimestamp(time.time() + 86400, UTC)
    start = time.perf_counter()
    for i in range(n):
        sched.add_job(aps_noop, "date", run_date=far, args=[far.timestamp()], id=f"job-{i}")
    out["create_per_s"] = round(n / (time.perf_counter() - start))
    out["rss_mib_after_create"] = round(rss_mib(), 1)
    sched.shutdown(wait=False)
    start = time.perf_counter()
    sched = make()
    sched.start(paused=True)
    out["reopen_s"] = round(time.perf_counter() - start, 4)
    base = time.time() + 1.0 + 1.5 * burst / out["create_per_s"]  # due after setup ends
    for i in range(burst):
        due = base + spread * i / max(burst, 1)
        when = datetime.fromtimestamp(due, UTC)
        sched.add_job(aps_noop, "date", run_date=when, args=[due], id=f"b-{i}")
    sched.resume()
    deadline = time.time() + spread + 300
    while len(_APS_FIRED) < burst and time.time() < deadline:
        time.sleep(0.05)
    out["fire_window_s"] = round(time.time() - base, 3)
    out["fire_per_s_offered"] = round(burst / spread)
    out["fired"] = len(_APS_FIRED)
    out["lateness"] = lateness_stats(list(_APS_FIRED))
    out["rss_mib_end"] = round(rss_mib(), 1)
    sched.shutdown(wait=False)
    return out


def child(system: str, n: int, burst: int, spread: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if system in ("ours", "ours-full"):
            sync = "FULL" if system == "ours-full" else "NORMAL"
            result = asyncio.run(run_ours(n, burst, spread, Path(tmp), sync))
        else:
            result = run_apscheduler(n, burst, spread, Path(tmp))
    sys.stdout.write(json.dumps(result) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="pending jobs to create")
    parser.add_argument("--burst", type=int, default=5_000, help="jobs in the fire burst")
    parser.add_argument("--spread", type=float, default=2.0, help="seconds the burst spans")
    parser.add_argument("--systems", default="ours,apscheduler")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--victim", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.victim:
        return asyncio.run(victim(Path(args.victim)))
    if args.child:
        return child(args.child, args.n, args.burst, args.spread)
    results = {}
    for system in args.systems.split(","):
        cmd = [
            sys.executable,
            __file__,
            "--child",
            system,
            "--n",
            str(args.n),
            "--burst",
            str(args.burst),
            "--spread",
            str(args.spread),
        ]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
        results[system] = json.loads(line.splitlines()[-1])
        print(line)
    if {"ours", "apscheduler"} <= results.keys():
        o, a = results["ours"], results["apscheduler"]
        print(f"create rate ratio ours/apscheduler: {o['create_per_s'] / a['create_per_s']:.1f}x")
        late_o, late_a = o["lateness"]["p99_ms"], a["lateness"]["p99_ms"]
        print(f"lateness p99: ours {late_o} ms, apscheduler {late_a} ms")


if __name__ == "__main__":
    main()
