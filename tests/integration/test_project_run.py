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
        assert await project.runner.wait_exit() == 0, project.runner.describe()
    finally:
        project.runner.kill9()
    output = project.runner.output()
    assert "Traceback" not in output, project.runner.describe(20000)
    assert " ERROR " not in output, project.runner.describe(20000)


async def test_two_checkouts_with_the_same_app_ids_each_get_only_their_own_jobs(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    env = {"HOME": str(tmp_path)}  # one user: no --home, no SIDECAR_HOME, the same ~
    projects = {name: Project(tmp_path / name, sys.executable, env=env) for name in "ab"}
    try:
        for project in projects.values():
            await project.start(client)
        expected: dict[str, dict[str, list[str]]] = {}
        for name, project in projects.items():
            agents = [f"{name}{i}" for i in range(6)]
            for agent in agents:  # a lead time longer than the due distance: due at once
                await project.assign(client, agent, task("t1", timedelta(days=1), "25h"))
            expected[name] = {agent: [f"{agent}:t1:reminder:1"] for agent in agents}
        for name, project in projects.items():

            async def all_notified(p: Project = project, e: dict[str, list[str]] = expected[name]):
                got = {agent: await p.notifications(client, agent) for agent in e}
                return got == e

            await project.runner.until(all_notified, f"project {name}'s own reminders")
            assert (project.folder / ".dapr" / "sidecar" / "scheduler.db").is_file()
    finally:
        for project in projects.values():
            project.runner.kill9()
