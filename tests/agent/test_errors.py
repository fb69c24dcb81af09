"""One error shape for every failure the agent answers, naming the problem and the field:
``{"errorCode", "message", "details"}``, also for what FastAPI and Starlette refuse themselves."""

from __future__ import annotations

import httpx
import pytest

from ..conftest import problem
from .fakes import FakeSidecar

TASKS = "/agents/alice/tasks"
JSON = {"content-type": "application/json"}
SCHEDULE = "/programmatic/schedule-task"


@pytest.mark.parametrize(
    ("content", "headers", "status", "code", "words"),
    [
        (b'{"title": x}', JSON, 400, "ERR_INVALID_JSON", "not valid JSON"),
        (b'{"title": "\xff"}', JSON, 400, "ERR_INVALID_JSON", "UTF-8"),
        (
            b'{"title": "x"}',
            {"content-type": "text/plain"},
            415,
            "ERR_UNSUPPORTED_MEDIA_TYPE",
            "text/plain",
        ),
        (b'{"title": "x"}', {}, 415, "ERR_UNSUPPORTED_MEDIA_TYPE", "application/json"),
        (b"[1]", JSON, 422, "ERR_INVALID_FIELD", "invalid body"),
    ],
)
async def test_an_unreadable_body_names_the_body(
    client: httpx.AsyncClient,
    content: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
    words: str,
) -> None:
    body = problem(await client.post(TASKS, content=content, headers=headers), status, code)
    assert body["details"]["field"] == "body"
    assert words in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/agents/a%2Fb/tasks", "agent_id"),
        ("POST", "/agents/a%2Fb/tasks", "agent_id"),
        ("GET", "/agents/alice/tasks/t%2F1", "task_id"),
        ("POST", "/agents/alice/tasks/t%2F1/complete", "task_id"),
    ],
)
async def test_a_slash_in_an_id_is_a_bad_id(
    client: httpx.AsyncClient, sidecar: FakeSidecar, method: str, path: str, field: str
) -> None:
    body = problem(await client.request(method, path, json={}), 400, "ERR_INVALID_ID")
    assert body["details"]["field"] == field
    assert "/" in body["message"]
    assert sidecar.requests == []  # changes nothing


async def test_a_slash_in_a_lab_job_name_names_it(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/programmatic/task-status/a%2Fb"), 422, "ERR_INVALID_FIELD")
    assert body["details"]["field"] == "job_name"


async def test_unknown_path_is_404_in_the_error_shape(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/agent/alice"), 404, "ERR_NOT_FOUND")
    assert "/agent/alice" in body["message"]


async def test_wrong_method_is_405_in_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.put(TASKS, json={})
    body = problem(response, 405, "ERR_METHOD_NOT_ALLOWED")
    assert "PUT" in body["message"]
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


@pytest.mark.parametrize(
    ("params", "why", "field"),
    [
        ({"due_time": "banana"}, "due time format not recognized", "due_time"),
        ({"due_time": "R2/PT1S"}, "repeats not supported for due time", "due_time"),
        ({"schedule": "banana"}, "expected exactly 6 fields, found 1: [banana]", "schedule"),
        ({"due_time": "1s", "repeats": "2"}, "job must have a schedule to repeat", "repeats"),
    ],
)
async def test_lab_values_the_jobs_api_refuses_are_the_callers_mistake(
    client: httpx.AsyncClient, sidecar: FakeSidecar, params: dict[str, str], why: str, field: str
) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        """What daprd (and the runtime) answer (dapr-jobs.md §1.3 (c))."""
        desc = f"rpc error: code = Unknown desc = job failed validation: {why}"
        body = {
            "errorCode": "DAPR_SCHEDULER_SCHEDULE_JOB",
            "message": f"failed to schedule job due to: {desc}",
        }
        return httpx.Response(500, json=body)

    sidecar.override = refuse
    response = await client.post(SCHEDULE, params={"job_name": "lab", **params})
    body = problem(response, 400, "ERR_INVALID_JOB")
    assert body["details"]["field"] == field
    assert why in body["message"]
