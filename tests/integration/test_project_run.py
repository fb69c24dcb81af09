"""The product as a user runs it: ``sidecar run -f <project>``, the real apps under one runner."""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ._project import Project

pytestmark = pytest.mark.integration


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


def task(task_id: str, due_in: timedelta, remind_before: str = "15m") -> dict[str, str]:
    due = (datetime.now(UTC) + due_in).isoformat()
    return {"id": task_id, "title": task_id, "assignee": "bob", "due_at": due,
            "remind_before": remind_before}  # fmt: skip


async def test_ctrl_c_of_a_healthy_system_stops_it_without_a_traceback(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    project = Project(tmp_path / "project", sys.executable, env={"HOME": str(tmp_path)})
    try:
        await project.start(client)
        for agent in ("alice", "bob", "carol"):  # three active actors
            await project.assign(client, agent, task("t1", timedelta(days=2)))
        project.runner.signal_group(signal.SIGINT)  # what a terminal does on Ctrl-C
        assert await project.runner.wait_exit() == 130, project.runner.describe()
    finally:
        project.runner.kill9()
    output = project.runner.output()
    assert "Traceback" not in output, project.runner.describe(20000)
    assert " ERROR " not in output, project.runner.describe(20000)
