"""``sidecar reset``: delete a project's runtime data (its home, and its SQLite state files).

The home holds the project's jobs, actor reminders and registry; the ``state.sqlite`` components
its apps load hold the state those jobs belong to. Both go together, so a reset never leaves jobs
that point at state that is gone (or the other way round). Nothing is deleted while a sidecar of
that home is running.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from ._runfile import AppConfig
from .clock import SystemClock
from .components import load_resources
from .registry import Registry
from .state import SqliteStateStore, build_state_store

log = logging.getLogger(__name__)


class ResetError(Exception):
    """The project's data cannot be reset now; nothing was deleted."""


async def reset(apps: Sequence[AppConfig], home: Path, base_dir: Path) -> list[Path]:
    """Delete ``home`` and the state files of ``apps``; return what was deleted."""
    await _refuse_if_running(home)
    targets = [home, *state_files(apps, base_dir)]
    removed = [path for path in targets if path.exists()]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        log.info("removed %s", path)
    if not removed:
        log.info("nothing to remove (no %s, no state files)", home)
    return removed


def state_files(apps: Sequence[AppConfig], base_dir: Path) -> list[Path]:
    """The files of every ``state.sqlite`` component the apps load (with their -wal and -shm)."""
    found: list[Path] = []
    for app in apps:
        for comp in load_resources(app.shared.resources_paths, app.app_id).components:
            if comp.type != "state.sqlite":
                continue
            store = build_state_store(
                comp.name, comp.type, comp.version, comp.metadata, SystemClock(), base_dir=base_dir
            )
            path = _file_of(store) if isinstance(store, SqliteStateStore) else None
            if path is not None:
                found += [
                    path,
                    path.with_name(path.name + "-wal"),
                    path.with_name(path.name + "-shm"),
                ]
    return list(dict.fromkeys(found))


def _file_of(store: SqliteStateStore) -> Path | None:
    target = store.path
    if not target.lower().startswith("file:") or "mode=memory" in target.lower():
        return None
    body = unquote(target[5:].partition("?")[0])
    return None if body.startswith(":memory:") else Path(body)


async def _refuse_if_running(home: Path) -> None:
    if not (home / "registry.db").exists():
        return
    registry = Registry(home)
    try:
        live = await registry.entries()
    finally:
        await registry.close()
    if live:
        running = ", ".join(f"{e.app_id} (pid {e.pid})" for e in live)
        raise ResetError(f"{home} is in use by running sidecars: {running}; stop them first")
