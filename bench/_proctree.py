"""The processes a benchmark started, by role: CPU seconds, resident memory, py-spy profiles.

``tree(pids)`` names each process of the trees under ``pids`` by its command line (``sidecar
pm-agent``, ``agent``, ``daprd pm-agent``, ``placement`` ...), so the same figures come out of
the separate processes, one ``sidecar run -f`` and real Dapr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (3rd field)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (its own threads, not its children)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, ValueError):
                continue
    return found


def role(pid: int) -> str:
    """A short name for what ``pid`` runs, from its command line."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    name = Path(args[0]).name
    if name in ("daprd", "placement", "scheduler"):
        app = args[args.index("--app-id") + 1] if "--app-id" in args else ""
        return f"{name} {app}".strip()
    if "-m" in args:
        module = args[args.index("-m") + 1]
        if any(a.endswith("_guard.py") for a in args):  # sidecar run's guard of an app
            return f"guard of {module}"
        if module == "sidecar" and "--app-id" in args:
            return f"sidecar {args[args.index('--app-id') + 1]}"
        return {"sidecar": "sidecar run -f", "sidecar.real_dapr": "real_dapr"}.get(module, module)
    return name


def tree(roots: list[int]) -> dict[str, int]:
    """Role -> pid for every live process under ``roots`` (the roots included); a role seen
    twice gets a number."""
    children, pids, todo = _children(), [], list(roots)
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += children.get(pid, [])
    named: dict[str, int] = {}
    seen: Counter[str] = Counter()
    for pid in pids:
        try:
            name = role(pid)
        except (OSError, ValueError, IndexError):
            continue
        seen[name] += 1
        named[name if seen[name] == 1 else f"{name} #{seen[name]}"] = pid
    return named


def cpu_of(procs: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in procs.items()}


def load_average() -> float:
    return os.getloadavg()[0]


def profile(procs: dict[str, int], folder: Path) -> list[subprocess.Popen[bytes]]:
    """Start ``py-spy record`` on every Python process of ``procs`` into ``folder`` (collapsed
    stacks, ``<role>.txt``); stop them with :func:`stop_profiles`."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    started = []
    for name, pid in procs.items():
        if Path(f"/proc/{pid}/exe").resolve().name.startswith("python"):
            out = folder / f"{name.replace(' ', '_')}.txt"
            args = [str(spy), "record", "--pid", str(pid), "--format", "raw", "-o", str(out)]
            args += ["--rate", "200", "--nonblocking"]
            started.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
    return started


def stop_profiles(spies: list[subprocess.Popen[bytes]]) -> None:
    for spy in spies:
        spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
    for spy in spies:
        spy.wait(timeout=60)


def pss_mib(pid: int) -> float:
    """Proportional set size: resident memory with each shared page split among its users, so
    the figures of several processes add up (``/proc/<pid>/smaps_rollup``)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0
