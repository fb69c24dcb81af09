"""Record the catalogue against real daprd, or replay it against the local runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ._runner import Target, run_group
from ._runtimes import local_runtime, real_dapr
from ._snapshots import Result, compare, load_deviations, save
from .catalogue import GROUPS

TIMEOUT = 30.0  # daprd retries a failed actor lookup for about 5 s before it answers


def run_catalogue(targets: dict[str, Target]) -> dict[str, dict[str, dict[str, Any]]]:
    with httpx.Client(timeout=TIMEOUT) as client:
        return {group: run_group(client, targets, exchanges) for group, exchanges in GROUPS.items()}


def record(root: Path) -> int:
    """Run every group on real Dapr and rewrite the snapshots; the number of exchanges."""
    with real_dapr(root) as targets:
        observed = run_catalogue(targets)
    for group, exchanges in observed.items():
        save(group, exchanges)
    return sum(map(len, observed.values()))


def replay(root: Path) -> Result:
    """Run every group on the local runtime and compare with the snapshots and deviations."""
    with local_runtime(root) as targets:
        observed = run_catalogue(targets)
    return compare(observed, load_deviations())
