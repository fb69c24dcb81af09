"""The product end to end on the local runtime: the agent, the notifier and their two sidecars,
each a real process, talking real HTTP; a real SQLite scheduler and state store.

Virtual time: the pm-agent sidecar runs with ``--dev-clock``; tests give tasks due dates days
ahead of its virtual now and jump the clock (``System.advance_to``), so nothing ever sleeps for a
due time. The actor itself runs on the wall clock, which is never ahead of virtual time.

Under ``--runtime dapr`` time is real: the runtime-agnostic tests take their spans from
:func:`spans` (seconds instead of days) and ``System.advance_to`` waits for the instant; the tests
that need the dev clock are marked ``local_only``.

Most tests share one :class:`System` (distinct agent ids keep them apart); the two that kill
processes get their own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from ._support import ACTOR_TYPE, JOBS_API, System, running_system

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

LAB_CALL = "Received call to /executeScheduledTask by Dapr Job."
LAB_DATA = "Received JSON data: "


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    async with running_system(tmp_path_factory.mktemp("shared-system")) as started:
        yield started


# -- helpers -----------------------------------------------------------------------------------


def job_name(agent_id: str, task_id: str, kind: str) -> str:
    """The scheme of ``actors/_ids.py``, written out independently: ``pm-{kind}-{agent}--{task}``
    with every byte outside ``[a-z0-9]`` escaped as ``-`` plus two hex digits."""

    def escape(value: str) -> str:
        plain = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(chr(b) if chr(b) in plain else f"-{b:02x}" for b in value.encode())

    return f"pm-{kind}-{escape(agent_id)}--{escape(task_id)}"


def spans(system: System, days: float = 2) -> tuple[timedelta, timedelta]:
    """How far ahead a task is due and its reminder lead time: ``days`` and an hour on the dev
    clock; on real time (daprd) a few seconds, four per day and two of lead."""
    if system.virtual_time:
        return timedelta(days=days), timedelta(hours=1)
    return timedelta(seconds=4 * days), timedelta(seconds=2)


def go_duration(span: timedelta) -> str:
    return f"{int(span.total_seconds())}s"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def kinds(notifications: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [n for n in notifications if n["kind"] == kind]


async def assign(
    system: System, agent_id: str, task_id: str, due: datetime, remind_before: str = "1h"
) -> dict[str, Any]:
    body = {
        "id": task_id,
        "title": f"task {task_id}",
        "assignee": "bob",
        "due_at": due.isoformat(),
        "remind_before": remind_before,
    }
    r = await system.client.post(f"{system.agent.url}/agents/{agent_id}/tasks", json=body)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/agents/{agent_id}/tasks/{task_id}"
    task: dict[str, Any] = r.json()
    assert task["status"] == "open" and task["schedule_version"] == 1
    return task


async def get_task(system: System, agent_id: str, task_id: str) -> dict[str, Any]:
    r = await system.client.get(f"{system.agent.url}/agents/{agent_id}/tasks/{task_id}")
    assert r.status_code == 200, r.text
    task: dict[str, Any] = r.json()
    return task


async def wait_notified(
    system: System, agent_id: str, task_id: str, kind: str
) -> list[dict[str, Any]]:
    """Wait until the notifier stored a ``kind`` notification for the task; the stored list."""

    async def stored() -> list[dict[str, Any]]:
        return kinds(await system.stored_notifications(agent_id, task_id), kind)

    return await system.until(stored, f"a {kind} notification for {agent_id}/{task_id}")


async def assert_exactly_one(
    system: System, agent_id: str, task_id: str, kind: str, version: int
) -> dict[str, Any]:
    """Exactly one ``kind`` notification, stored by the notifier and listed by the agent, with
    the deterministic id; the agent records it once it has been sent (after the notifier)."""
    nid = f"{agent_id}:{task_id}:{kind}:{version}"
    stored = kinds(await system.stored_notifications(agent_id, task_id), kind)
    assert [n["id"] for n in stored] == [nid], stored
    (note,) = stored
    assert note["delivered"] is True
    assert note["schedule_version"] == version and note["assignee"] == "bob"

    async def listed() -> list[dict[str, Any]]:
        return kinds(await system.sent_notifications(agent_id, task_id), kind)

    sent = await system.until(listed, f"the agent to list {nid}")
    assert [n["id"] for n in sent] == [nid], sent
    return note


async def fire_log(system: System, name: str) -> list[str]:
    """The agent's log lines about fires of job ``name`` (the router logs every one)."""
    return [line for line in system.agent.output().splitlines() if f"job {name}" in line]


# -- 1. assign → one reminder -----------------------------------------------------------------


async def test_assign_sends_exactly_one_reminder_at_the_reminder_time(system: System) -> None:
    agent, task_id = "assign1", "t1"
    ahead, lead = spans(system, days=3)
    due = await system.now() + ahead
    task = await assign(system, agent, task_id, due, go_duration(lead))
    remind_at = at(task["remind_at"])
    assert remind_at == due - lead
    reminder, overdue = job_name(agent, task_id, "reminder"), job_name(agent, task_id, "overdue")
    assert await system.job_status(reminder) == 200
    assert await system.job_status(overdue) == 500  # one job per task: the next fire's

    await system.settle()  # nothing fires early
    if await system.now() < remind_at:  # real time may have reached it while settling
        assert await system.stored_notifications(agent, task_id) == []

    await system.advance_to(remind_at + timedelta(seconds=1))
    await wait_notified(system, agent, task_id, "reminder")
    note = await assert_exactly_one(system, agent, task_id, "reminder", 1)
    assert note["message"].startswith("Reminder: task 'task t1' assigned to bob")

    async def reminder_job_gone() -> bool:
        return await system.job_status(reminder) == 500

    await system.until(reminder_job_gone, "the one-shot reminder job to be deleted")
    assert await system.job_status(overdue) == 200  # the next step, waiting for due_at

    await system.advance_to(remind_at + lead / 2)  # further past the reminder, before due_at
    await system.settle()
    await assert_exactly_one(system, agent, task_id, "reminder", 1)
    assert await system.stored_notifications(agent, task_id) == [note]  # no overdue yet
    assert (await get_task(system, agent, task_id))["notifications_sent"] == [note["id"]]


# -- 2. reschedule ----------------------------------------------------------------------------


async def test_reschedule_moves_the_reminder_to_the_new_time(system: System) -> None:
    agent, task_id = "resched2", "t2"
    ahead, lead = spans(system)
    old_due = await system.now() + ahead
    old = await assign(system, agent, task_id, old_due, go_duration(lead))
    new_due = old_due + ahead
    r = await system.client.patch(
        f"{system.agent.url}/agents/{agent}/tasks/{task_id}", json={"due_at": new_due.isoformat()}
    )
    assert r.status_code == 200, r.text
    task = r.json()
    assert task["schedule_version"] == 2
    assert at(task["remind_at"]) == new_due - lead

    r = await system.client.get(
        f"{system.agent_sidecar.url}/{JOBS_API}/jobs/{job_name(agent, task_id, 'reminder')}"
    )
    assert r.status_code == 200, r.text
    assert at(r.json()["dueTime"]) == new_due - lead
    assert r.json()["data"]["value"]["scheduleVersion"] == 2

    # Past the old reminder and the old due time, before the new reminder: nothing.
    assert at(old["remind_at"]) < old_due < at(task["remind_at"])
    await system.advance_to(old_due + lead / 60)
    await system.settle()
    assert await system.stored_notifications(agent, task_id) == []
    assert await system.sent_notifications(agent, task_id) == []
    assert await fire_log(system, job_name(agent, task_id, "reminder")) == []

    await system.advance_to(at(task["remind_at"]) + timedelta(seconds=1))
    await wait_notified(system, agent, task_id, "reminder")
    await system.settle()
    await assert_exactly_one(system, agent, task_id, "reminder", 2)
    assert len(await system.stored_notifications(agent, task_id)) == 1  # no version-1 reminder


# -- 3. complete and cancel -------------------------------------------------------------------


async def test_complete_and_cancel_delete_the_jobs_and_silence_the_task(system: System) -> None:
    agent = "close3"
    ahead, lead = spans(system)
    due = await system.now() + ahead
    await assign(system, agent, "done", due, go_duration(lead))
    await assign(system, agent, "dropped", due, go_duration(lead))
    names = [job_name(agent, t, k) for t in ("done", "dropped") for k in ("reminder", "overdue")]
    assert [await system.job_status(n) for n in names] == [200, 500] * 2  # the first step's

    r = await system.client.post(f"{system.agent.url}/agents/{agent}/tasks/done/complete")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed" and r.json()["schedule_version"] == 2
    r = await system.client.delete(f"{system.agent.url}/agents/{agent}/tasks/dropped")
    assert r.status_code == 204, r.text
    assert (await get_task(system, agent, "dropped"))["status"] == "cancelled"

    assert [await system.job_status(n) for n in names] == [500] * 4

    await system.advance_to(due + lead)  # past both reminders and due times
    await system.settle()
    for task_id in ("done", "dropped"):
        assert await system.stored_notifications(agent, task_id) == []
        assert await system.sent_notifications(agent, task_id) == []
        assert (await get_task(system, agent, task_id))["notifications_sent"] == []


# -- 4. overdue -------------------------------------------------------------------------------


async def test_open_task_past_due_gets_exactly_one_overdue_notification(system: System) -> None:
    agent, task_id = "overdue4", "t4"
    ahead, lead = spans(system, days=1)
    due = await system.now() + ahead
    await assign(system, agent, task_id, due, go_duration(lead))

    await system.advance_to(due + timedelta(seconds=1))
    await wait_notified(system, agent, task_id, "overdue")
    note = await assert_exactly_one(system, agent, task_id, "overdue", 1)
    assert "is overdue" in note["message"]
    await assert_exactly_one(system, agent, task_id, "reminder", 1)  # its time had passed too

    await system.advance_to(due + 2 * lead)
    await system.settle()
    await assert_exactly_one(system, agent, task_id, "overdue", 1)
    assert len(await system.stored_notifications(agent, task_id)) == 2
    for kind in ("reminder", "overdue"):
        assert await system.job_status(job_name(agent, task_id, kind)) == 500


# -- 5. notifier down -------------------------------------------------------------------------


async def test_reminder_fired_while_the_notifier_is_down_arrives_once_it_is_back(
    tmp_path: Path,
) -> None:
    async with running_system(tmp_path) as system:
        agent, task_id = "down5", "t5"
        ahead, lead = spans(system, days=10)  # the reminder soon, the due time far off
        due = await system.now() + ahead
        task = await assign(system, agent, task_id, due, go_duration(ahead - 2 * lead))
        reminder = job_name(agent, task_id, "reminder")

        system.notifier.kill9()
        await system.advance_to(at(task["remind_at"]) + timedelta(seconds=1))

        async def retried() -> bool:  # fired, failed, answered 503 to be retried: twice
            failures = [ln for ln in await fire_log(system, reminder) if "answering 503" in ln]
            return len(failures) >= 2

        await system.until(retried, "the reminder to fail twice while the notifier is down")
        assert await system.sent_notifications(agent, task_id) == []
        assert await system.job_status(reminder) == 200  # kept for the next retry

        system.notifier.start()
        await system.notifier.wait_healthy(system.client)
        await wait_notified(system, agent, task_id, "reminder")
        await system.settle()
        await assert_exactly_one(system, agent, task_id, "reminder", 1)
        assert len(await system.stored_notifications(agent, task_id)) == 1

        async def reminder_job_gone() -> bool:
            return await system.job_status(reminder) == 500

        await system.until(reminder_job_gone, "the reminder job to be deleted after success")


# -- 6. runtime killed ------------------------------------------------------------------------


async def test_reminder_survives_kill_9_of_both_sidecars(tmp_path: Path) -> None:
    async with running_system(tmp_path) as system:
        agent, task_id = "crash6", "t6"
        ahead, lead = spans(system, days=5)  # on real time: room for both restarts
        due = await system.now() + ahead
        task = await assign(system, agent, task_id, due, go_duration(lead))

        system.agent_sidecar.kill9()
        system.notifier_sidecar.kill9()
        system.agent_sidecar.start()  # same home, same ports
        system.notifier_sidecar.start()
        await system.wait_ready()
        assert await system.now() < at(task["remind_at"])  # a new process: offset back to 0
        assert await system.job_status(job_name(agent, task_id, "reminder")) == 200
        assert (await get_task(system, agent, task_id))["schedule_version"] == 1  # state kept

        await system.advance_to(at(task["remind_at"]) + timedelta(seconds=1))
        await wait_notified(system, agent, task_id, "reminder")
        await system.settle()
        await assert_exactly_one(system, agent, task_id, "reminder", 1)
        assert len(await system.stored_notifications(agent, task_id)) == 1


# -- 7. the lab -------------------------------------------------------------------------------


def lab_data_logged(system: System) -> list[Any]:
    lines = system.agent.output().splitlines()
    return [json.loads(ln.split(LAB_DATA, 1)[1]) for ln in lines if LAB_DATA in ln]


async def test_lab_schedules_runs_reports_and_deletes_jobs(system: System) -> None:
    base = f"{system.agent.url}/programmatic"
    default = {"message": "Programmatically scheduled!", "source": "lab-default"}
    custom = {"n": 3, "task": "cleanup", "nested": {"ok": True}}

    r = await system.client.post(
        f"{base}/schedule-task", params={"job_name": "lab-default", "due_time": "1s"}
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "job_name": "lab-default",
        "scheduled": {"dueTime": "1s", "data": default, "overwrite": True},
    }
    r = await system.client.get(f"{base}/task-status/lab-default")
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "lab-default"
    r = await system.client.post(
        f"{base}/schedule-task", params={"job_name": "lab-body", "due_time": "1s"}, json=custom
    )
    assert r.status_code == 201, r.text
    assert r.json()["scheduled"]["data"] == custom

    async def both_ran() -> bool:
        statuses = [
            (await system.client.get(f"{base}/task-status/{name}")).status_code
            for name in ("lab-default", "lab-body")
        ]
        return statuses == [404, 404] and len(lab_data_logged(system)) >= 2

    await system.until(both_ran, "both lab jobs to run and be gone")
    r = await system.client.get(f"{base}/task-status/lab-default")
    assert r.json()["errorCode"] == "ERR_JOB_NOT_FOUND"
    assert system.agent.output().count(LAB_CALL) == 2
    logged = sorted(json.dumps(d, sort_keys=True) for d in lab_data_logged(system))
    assert logged == sorted(json.dumps(d, sort_keys=True) for d in (default, custom))

    _, lead = spans(system)
    r = await system.client.post(
        f"{base}/schedule-task", params={"job_name": "lab-delete", "due_time": go_duration(lead)}
    )
    assert r.status_code == 201, r.text
    assert (await system.client.get(f"{base}/task-status/lab-delete")).status_code == 200
    r = await system.client.delete(f"{base}/delete-task/lab-delete")
    assert r.status_code == 204, r.text
    assert (await system.client.get(f"{base}/task-status/lab-delete")).status_code == 404
    await system.advance(seconds=2 * lead.total_seconds())
    await system.settle()
    assert system.agent.output().count(LAB_CALL) == 2  # the deleted job never ran


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"due_time": "banana"}, "due_time"),
        ({"due_time": "R2/PT1S"}, "due_time"),
        ({"schedule": "banana"}, "schedule"),
        ({"due_time": "1s", "repeats": "2"}, "repeats"),
    ],
)
async def test_lab_values_the_runtime_refuses_are_400_naming_the_parameter(
    system: System, params: dict[str, str], field: str
) -> None:
    name = f"lab-bad-{field}"
    r = await system.client.post(
        f"{system.agent.url}/programmatic/schedule-task", params={"job_name": name, **params}
    )
    assert r.status_code == 400, r.text
    assert (r.json()["errorCode"], r.json()["details"]["field"]) == ("ERR_INVALID_JOB", field)
    assert await system.job_status(name) == 500  # nothing stored


# -- 8. direct actor invocation ---------------------------------------------------------------


async def test_assign_task_by_direct_actor_invocation(system: System) -> None:
    agent, task_id = "direct8", "t8"
    ahead, lead = spans(system, days=1)
    due = await system.now() + ahead
    body = {
        "id": task_id,
        "title": "via the actor API",
        "assignee": "bob",
        "due_at": due.isoformat(),
        "remind_before": f"PT{int(lead.total_seconds())}S",
    }
    url = f"{system.agent_sidecar.url}/v1.0/actors/{ACTOR_TYPE}/{agent}/method/AssignTask"
    r = await system.client.post(url, json=body)
    assert r.status_code == 200, r.text
    envelope = r.json()
    assert envelope["ok"] is True and envelope["value"]["created"] is True
    assert envelope["value"]["task"]["id"] == task_id

    task = await get_task(system, agent, task_id)
    assert task["title"] == "via the actor API" and task["status"] == "open"
    assert at(task["remind_at"]) == due - lead

    await system.advance_to(at(task["remind_at"]) + timedelta(seconds=1))
    await wait_notified(system, agent, task_id, "reminder")
    await assert_exactly_one(system, agent, task_id, "reminder", 1)


# -- 9. bad input -----------------------------------------------------------------------------


async def test_bad_input_is_refused_and_nothing_is_stored(system: System) -> None:
    agent = "bad9"
    tasks_url = f"{system.agent.url}/agents/{agent}/tasks"
    past = datetime.now().astimezone() - timedelta(hours=1)
    body = {"id": "late", "title": "late", "assignee": "bob", "due_at": past.isoformat()}

    r = await system.client.post(tasks_url, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errorCode"] == "ERR_DUE_DATE_IN_PAST"
    assert r.json()["details"]["field"] == "due_at" and "due_at" in r.json()["message"]

    r = await system.client.post(f"{system.agent.url}/agents/_bad/tasks", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "ERR_INVALID_ID"
    assert r.json()["details"]["field"] == "agent_id"

    future = {**body, "due_at": (await system.now() + timedelta(days=1)).isoformat()}
    r = await system.client.post(f"{system.agent.url}/agents/_bad/tasks", json=future)
    assert r.status_code == 400, r.text

    for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/complete")):
        kwargs: dict[str, Any] = {"json": {"title": "x"}} if method == "PATCH" else {}
        r = await system.client.request(method, f"{tasks_url}/nope{suffix}", **kwargs)
        assert r.status_code == 404, (method, suffix, r.text)
        assert r.json()["errorCode"] == "ERR_TASK_NOT_FOUND"

    r = await system.client.get(tasks_url)
    assert r.status_code == 200 and r.json() == {"tasks": []}, r.text
    r = await system.client.get(f"{system.agent.url}/agents/{agent}/notifications")
    assert r.status_code == 200 and r.json() == {"notifications": []}, r.text
    for kind in ("reminder", "overdue"):
        assert await system.job_status(job_name(agent, "late", kind)) == 500


# -- 10. fires racing idle deactivation -------------------------------------------------------


@pytest.mark.local_only("makes actors idle for 23 h of dev-clock time")
async def test_idle_deactivation_never_cuts_a_fire_turn_short(system: System) -> None:
    """A clock jump makes many actors idle past their deadline *and* their reminders due at once:
    the sidecar deactivates the idle actors one by one while the fires start turns on them. An
    actor whose turn has begun must not be deactivated under it (its state save would fail with
    ERR_ACTOR_INSTANCE_MISSING after the notifier was called, and the fire would be retried)."""
    agents = [f"burst{i}" for i in range(12)]
    due = await system.now() + timedelta(days=1)
    for agent in agents:
        await assign(system, agent, "t", due)

    await system.advance_to(due - timedelta(minutes=59))  # all reminders; actors idle for 23 h
    for agent in agents:
        await wait_notified(system, agent, "t", "reminder")
    await system.settle()
    for agent in agents:
        await assert_exactly_one(system, agent, "t", "reminder", 1)
    cut_short = [
        line
        for agent in agents
        for line in await fire_log(system, job_name(agent, "t", "reminder"))
        if "ERR_ACTOR_INSTANCE_MISSING" in line
    ]
    assert cut_short == [], "\n".join(cut_short)
