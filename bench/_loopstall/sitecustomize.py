"""Loaded by every Python process of a benchmark run with this folder on PYTHONPATH (agent_e2e
``--stalls DIR``): times each event-loop callback (``asyncio.Handle._run``: every task step and
every scheduled callback) and, at exit, writes the process's longest ones to
``$BENCH_STALL_DIR/<pid>.json``; SIGUSR2 starts the count afresh (the bench sends it as its load
begins, so start-up is not counted). The longest callback is the loop's worst stall: while it runs,
nothing else on that loop does. Each is given in wall time and in the thread's CPU time: the
difference is time the process was not on a CPU (other processes ran). Only the stdlib loop's
handles are timed (not uvloop's). The garbage collector's passes are timed too, by generation: a
full (generation 2) pass runs inside whichever callback allocated last, and stalls it."""

from __future__ import annotations

import asyncio.events
import atexit
import gc
import json
import os
import signal
import sys
import time
from pathlib import Path

_OUT = os.environ.get("BENCH_STALL_DIR", "")
_BUCKETS_MS = (1, 5, 10, 20, 50, 100, 200, 500)


def _install(out: Path) -> None:
    original = asyncio.events.Handle._run
    counts = dict.fromkeys(_BUCKETS_MS, 0)
    worst: list[tuple[float, float, str]] = []  # (wall ms, CPU ms, callback), the 20 longest
    total = [0]

    def timed(self: asyncio.events.Handle) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            original(self)
        finally:
            ms = (time.perf_counter() - t0) * 1000
            total[0] += 1
            if ms >= 1:
                for bound in _BUCKETS_MS:
                    if ms >= bound:
                        counts[bound] += 1
                if len(worst) < 20 or ms > worst[-1][0]:
                    cpu = (time.thread_time() - c0) * 1000
                    worst.append((ms, cpu, _name(self)))
                    worst.sort(reverse=True)
                    del worst[20:]

    def dump() -> None:
        record = {
            "argv": sys.argv,
            "callbacks": total[0],
            "at_least_ms": {str(k): v for k, v in counts.items()},
            "worst": [
                {"ms": round(ms, 2), "cpu_ms": round(cpu, 2), "callback": name}
                for ms, cpu, name in worst
            ],
            "gc": {
                str(gen): {"passes": len(ms), "max_ms": round(max(ms, default=0), 2)}
                for gen, ms in collections.items()
            },
        }
        (out / f"{os.getpid()}.json").write_text(json.dumps(record))

    collections: dict[int, list[float]] = {0: [], 1: [], 2: []}  # ms of each GC pass
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            collections[info["generation"]].append((time.perf_counter() - started[0]) * 1000)

    def reset(*_: object) -> None:  # SIGUSR2: the load begins, start-up is not counted
        total[0] = 0
        counts.update(dict.fromkeys(_BUCKETS_MS, 0))
        worst.clear()
        for passes in collections.values():
            passes.clear()

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    atexit.register(dump)
    gc.callbacks.append(on_gc)
    signal.signal(signal.SIGUSR2, reset)
    previous = signal.getsignal(signal.SIGTERM)
    if previous in (signal.SIG_DFL, None):  # a process that dies on SIGTERM still reports
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def _name(handle: asyncio.events.Handle) -> str:
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        code = getattr(coro, "cr_code", None)
        where = f" ({Path(code.co_filename).name}:{code.co_firstlineno})" if code else ""
        return f"task {getattr(coro, '__qualname__', coro)!s}{where}"
    return str(getattr(callback, "__qualname__", callback))


if _OUT:
    _install(Path(_OUT))
