"""The console at /console against a fake sidecar: rendering, the forms, and bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from actors import job_name

from .fakes import FakeSidecar

FORM = {
    "agent_id": "alice",
    "id": "t1",
    "title": "Write the report",
    "assignee": "bob",
    "due_at": "2030-01-02T10:00",
    "time_zone": "Europe/Rome",
    "remind_before": "1h",
}


async def assign(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    return await client.post("/console/tasks", data={**FORM, **changes})


async def tasks_of(client: httpx.AsyncClient, agent_id: str = "alice") -> list[dict[str, Any]]:
    response = await client.get(f"/agents/{agent_id}/tasks")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["tasks"]
    return found


async def test_an_empty_console_says_there_is_nothing_yet(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "No agents yet" in response.text
    assert '<script src="/console/static/console.js">' in response.text
    assert "https://" not in response.text  # nothing from a CDN


async def test_assigning_through_the_form_redirects_and_lists_the_task(
    client: httpx.AsyncClient,
) -> None:
    response = await assign(client)
    assert (response.status_code, response.headers["location"]) == (303, "/console")
    (task,) = await tasks_of(client)
    assert task["due_at"] == "2030-01-02T09:00:00Z"  # 10:00 in Rome
    page = (await client.get("/console")).text
    assert 'data-task="alice/t1"' in page
    assert "Write the report" in page
    assert task["due_at_local"] in page and "Europe/Rome" in page
    assert task["next_fires"][0]["at_local"] in page  # the next reminder, local time
    assert "/console/agents/alice/tasks/t1/complete" in page


async def test_the_timeline_orders_fires_across_agents(client: httpx.AsyncClient) -> None:
    await assign(client, agent_id="carol", id="late", due_at="2030-01-05T10:00")
    await assign(client, agent_id="alice", id="soon", due_at="2030-01-02T10:00")
    page = (await client.get("/console")).text
    timeline = page[page.index('id="timeline"') :]
    assert timeline.index("alice/soon") < timeline.index("carol/late")
    assert "--at: 100.0%" in timeline


async def test_the_history_shows_a_sent_notification_with_its_delivery_status(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await assign(client)
    name = job_name("alice", "t1", "reminder")
    fired = await client.post(f"/job/{name}", json=sidecar.jobs[name]["data"])
    assert fired.status_code == 200, fired.text
    page = (await client.get("/console")).text
    history = page[page.index('id="history"') :]
    assert 'data-notification="alice:t1:reminder:1"' in history
    assert 'class="badge delivered"' in history


async def test_complete_ack_and_snooze_change_the_task(client: httpx.AsyncClient) -> None:
    await assign(client)
    await assign(client, id="t2")
    base = "/console/agents/alice/tasks"
    assert (await client.post(f"{base}/t1/ack")).status_code == 303
    assert (await client.post(f"{base}/t2/snooze", data={"for": "2h"})).status_code == 303
    assert (await client.post(f"{base}/t1/complete")).status_code == 303
    t1, t2 = sorted(await tasks_of(client), key=lambda t: t["id"])
    assert (t1["status"], t1["acknowledged_at"] is not None) == ("completed", True)
    assert t2["snoozed_until"] is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"due_at": "2029-12-31T10:00"}, "due_at", "invalid due_at"),
        ({"due_at": "tomorrow"}, "due_at", "invalid due_at"),
        ({"agent_id": "bad agent"}, "agent_id", "invalid agent_id"),
        ({"id": "a/b"}, "id", "invalid id"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "invalid time_zone"),
        ({"title": ""}, "title", "invalid title"),
        ({"remind_before": "soon"}, "remind_before", "invalid remind_before"),
    ],
)
async def test_a_bad_field_re_renders_the_form_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, changes: dict[str, str], field: str, message: str
) -> None:
    response = await assign(client, **changes)
    assert response.status_code == 400, response.text
    assert 'role="alert"' in response.text and message in response.text
    assert f'name="{field}"' in response.text
    marked = response.text.split(f'name="{field}"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in marked
    assert 'value="Write the report"' in response.text or field == "title"  # kept
    assert (await client.get("/agents")).json() == {"agents": []}


async def test_a_bad_snooze_names_the_field_and_leaves_the_task_as_it_was(
    client: httpx.AsyncClient,
) -> None:
    await assign(client)
    (before,) = await tasks_of(client)
    for data in ({"for": "later"}, {"for": ""}):
        response = await client.post("/console/agents/alice/tasks/t1/snooze", data=data)
        assert response.status_code == 400, response.text
        assert "invalid for" in response.text
    assert await tasks_of(client) == [before]


async def test_an_action_on_an_unknown_task_answers_404_on_the_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/console/agents/alice/tasks/nope/complete")
    assert response.status_code == 404, response.text
    assert 'role="alert"' in response.text and "nope" in response.text


async def test_dead_letters_are_listed_and_replayed(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    sidecar.dead_letters.append({"id": "alice:t1:reminder:1", "status": "dead_letter"})
    page = (await client.get("/console")).text
    assert "/console/dead-letters/alice%3At1%3Areminder%3A1/replay" in page
    response = await client.post("/console/dead-letters/alice%3At1%3Areminder%3A1/replay")
    assert response.status_code == 303, response.text
    assert sidecar.replayed == ["alice:t1:reminder:1"]
    unknown = await client.post("/console/dead-letters/nope/replay")
    assert unknown.status_code == 404 and "no dead letter nope" in unknown.text


async def test_text_is_escaped(client: httpx.AsyncClient) -> None:
    await assign(client, title="<script>alert(1)</script>")
    page = (await client.get("/console")).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_form_posted_from_another_site_is_refused(client: httpx.AsyncClient) -> None:
    headers = {"origin": "http://evil.test"}
    response = await client.post("/console/tasks", data=FORM, headers=headers)
    assert response.status_code == 403
    assert "another origin" in response.text
    assert (await client.get("/agents")).json() == {"agents": []}
    same = await client.post("/console/tasks", data=FORM, headers={"origin": "http://agent.test"})
    assert same.status_code == 303


async def test_the_stylesheet_and_script_are_served_by_the_app(client: httpx.AsyncClient) -> None:
    for asset in ("console.css", "console.js"):
        response = await client.get(f"/console/static/{asset}")
        assert response.status_code == 200, asset


async def test_when_the_actors_cannot_be_reached_the_page_says_so(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await assign(client)
    sidecar.actors_down = True
    response = await client.get("/console")
    assert response.status_code == 502, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Could not read the agents" in response.text and "ListTasks" in response.text
