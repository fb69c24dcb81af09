"""The home's internal key when several sidecars start at once in a new home (a run file's
sidecars, the integration suites' systems): every one gets the same whole key, none fails."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sidecar.registry import Registry


def keys_read_at_once(home: Path, readers: int) -> list[str]:
    start = threading.Barrier(readers)

    def key(_: int) -> str:
        registry = Registry(home)
        start.wait()
        return registry.internal_key()

    with ThreadPoolExecutor(readers) as pool:
        return list(pool.map(key, range(readers)))


def test_sidecars_starting_together_in_a_new_home_share_one_whole_key(tmp_path: Path) -> None:
    for attempt in range(20):
        home = tmp_path / f"home{attempt}"
        keys = keys_read_at_once(home, 8)
        assert len(set(keys)) == 1 and len(keys[0]) == 48, keys
        assert [p.name for p in home.iterdir() if p.name.startswith(".")] == []
