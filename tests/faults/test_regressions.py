"""Regressions for two bugs the fault suite found.

1. Sidecars started together on a fresh runtime home crashed with ``database is locked``: the
   switch of a new SQLite file to WAL fails at once (no busy wait) while another process does
   the same. Fixed in ``sidecar/loop_sqlite.py`` (retried), used by the registry and both stores.
   Later, one start in a few hundred still crashed the same way: the inline connection, which
   never waits, set its pragmas while another process held the file (test_loop_sqlite.py has
   the deterministic case; this test is the one that caught it).
2. Under contention the notifier gave up adding an id to its history index but still answered
   201: the notification was stored, delivered, and missing from ``GET /notifications`` for good.
   Fixed in ``notifier/_service.py`` (503, so the caller retries).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notifier import NotifierSettings, create_app
from tests.integration._processes import WAIT
from tests.notifier.fakes import FakeStateSidecar

from ._system import ROOT

OPEN_ALL = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from sidecar.clock import SystemClock
    from sidecar.registry import Entry, Registry
    from sidecar.jobs import SqliteJobStore
    from sidecar.state import build_state_store

    home, n = Path(sys.argv[1]), sys.argv[2]

    async def main():
        print("ready", flush=True)  # imports done: wait for the test's go, all at once
        sys.stdin.readline()
        await Registry(home).register(Entry(n, "app" + n, "default", "h", 1, 1, 0.0))
        jobs = SqliteJobStore(home / "scheduler.db")
        await jobs.open()
        await jobs.close()
        meta = {"connectionString": str(home / "state.db")}
        store = build_state_store("s", "state.sqlite", "v1", meta, SystemClock(), base_dir=home)
        await store.open()
        await store.close()

    asyncio.run(main())
    """
)


@pytest.mark.integration
def test_sidecars_opening_a_fresh_home_together_do_not_crash(tmp_path: Path) -> None:
    script = tmp_path / "open_all.py"
    script.write_text(OPEN_ALL)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(4):
        home = tmp_path / f"home{round_}"
        home.mkdir()
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(home), str(i)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for i in range(4)
        ]
        try:
            outcomes = _open_together(procs)
        finally:
            for proc in procs:
                proc.kill()
        if [code for code, _ in outcomes] != [0] * 4:  # the whole of each traceback
            pytest.fail(
                "\n".join(
                    f"process {i} exited {code}:\n{err}" for i, (code, err) in enumerate(outcomes)
                )
            )


def _open_together(procs: list[subprocess.Popen[bytes]]) -> list[tuple[int, str]]:
    """Once every process has said it is ready, tell them all to go; their codes and stderr."""
    for proc in procs:
        assert proc.stdout is not None and proc.stdin is not None
        if proc.stdout.readline() != b"ready\n":  # b"" if it died first
            return [_outcome(p) for p in procs]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
    return [_outcome(p) for p in procs]


def _outcome(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Its exit code and stderr (closing its stdin, so one still waiting for the go ends)."""
    err = proc.communicate(timeout=WAIT)[1]
    return proc.returncode, err.decode()


class ContendedIndex(FakeStateSidecar):
    """Every ETag-guarded write of the history index loses the race while ``contended``."""

    contended = True

    def _save(self, items: list[dict[str, Any]]) -> httpx.Response:
        if self.contended and any(i["key"] == "notifications-index-a" for i in items):
            body = {"errorCode": "ERR_STATE_SAVE", "message": "possible etag mismatch"}
            return httpx.Response(409, json=body)
        return super()._save(items)


@pytest.fixture
async def contended() -> AsyncIterator[tuple[ContendedIndex, httpx.AsyncClient]]:
    fake = ContendedIndex()
    settings = NotifierSettings(dapr_http_endpoint="http://sidecar.test")
    async with httpx.AsyncClient(transport=fake.transport()) as outbound:
        app = create_app(settings, http_client=outbound)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://n.test") as http:
                yield fake, http


async def test_notification_the_index_could_not_take_is_retried_not_lost(
    contended: tuple[ContendedIndex, httpx.AsyncClient],
) -> None:
    fake, client = contended
    note = {"id": "a:t:reminder:1", "agent_id": "a", "task_id": "t", "message": "m"}
    fake.rows["notifications-index-a"] = (["other"], "etag-0")
    first = await client.post("/notifications", json=note)
    assert first.status_code == 503, first.text
    fake.contended = False
    again = await client.post("/notifications", json=note)
    assert (again.status_code, again.json()["status"]) == (201, "delivered")
    listed = (await client.get("/notifications")).json()["notifications"]
    assert [n["id"] for n in listed] == ["a:t:reminder:1"]
