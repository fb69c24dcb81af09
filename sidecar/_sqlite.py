"""One SQLite quirk shared by the registry and the stores.

Switching a new database file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at
once, without its busy handler, when another process is switching the same file at that moment.
Two sidecars started together on a fresh runtime home hit this; so the switch is retried briefly.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any

ATTEMPTS = 250
PAUSE = 0.02  # seconds; 250 x 20 ms = 5 s at most


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def set_journal_mode(conn: sqlite3.Connection, mode: str = "WAL") -> None:
    """``PRAGMA journal_mode``, retried while another connection holds the switch lock."""
    for attempt in range(ATTEMPTS):
        try:
            conn.execute(f"PRAGMA journal_mode = {mode}")
            return
        except sqlite3.OperationalError as exc:
            if not _locked(exc) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(PAUSE)


async def set_journal_mode_async(
    execute: Callable[[str], Awaitable[Any]], mode: str = "WAL"
) -> None:
    """The same for an async connection (``aiosqlite``): ``execute`` runs one statement."""
    for attempt in range(ATTEMPTS):
        try:
            await execute(f"PRAGMA journal_mode = {mode}")
            return
        except sqlite3.OperationalError as exc:
            if not _locked(exc) or attempt == ATTEMPTS - 1:
                raise
            await asyncio.sleep(PAUSE)
