from __future__ import annotations

import httpx

from .fakes import FakeSidecar

SCHEDULE = "/programmatic/schedule-task"


async def test_schedule_task_with_default_data(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    params = {"job_name": "lab-1", "schedule": "@every 10s", "repeats": "3", "due_time": "5s"}
    response = await client.post(SCHEDULE, params=params)
    assert response.status_code == 201
    assert sidecar.jobs["lab-1"] == {
        "schedule": "@every 10s",
        "repeats": 3,
        "dueTime": "5s",
        "data": {"message": "Programmatically scheduled!", "source": "lab-1"},
        "overwrite": True,
    }
    assert sidecar.requests[-1].url.path == "/v1.0-alpha1/jobs/lab-1"


async def test_schedule_task_with_body_as_data(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    params = {"job_name": "lab-2", "due_time": "1s"}
    await client.post(SCHEDULE, params=params, json={"task": "backup"})
    assert sidecar.jobs["lab-2"]["data"] == {"task": "backup"}


async def test_status_and_delete(client: httpx.AsyncClient, sidecar: FakeSidecar) -> None:
    await client.post(SCHEDULE, params={"job_name": "lab-3", "due_time": "1m"})
    status = await client.get("/programmatic/task-status/lab-3")
    assert (status.status_code, status.json()["dueTime"]) == (200, "1m")
    assert (await client.delete("/programmatic/delete-task/lab-3")).status_code == 204
    missing = await client.get("/programmatic/task-status/lab-3")
    assert (missing.status_code, missing.json()["errorCode"]) == (404, "ERR_JOB_NOT_FOUND")


async def test_sidecar_errors_are_clear_http_errors(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        body = {"errorCode": "DAPR_SCHEDULER_SCHEDULE_EMPTY", "message": "Schedule is empty"}
        return httpx.Response(400, json=body)

    sidecar.override = refuse
    response = await client.post(SCHEDULE, params={"job_name": "lab-4"})
    assert response.status_code == 400
    assert response.json()["message"] == "Schedule is empty"


async def test_sidecar_down_is_503(client: httpx.AsyncClient, sidecar: FakeSidecar) -> None:
    async def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sidecar.override = down
    response = await client.post(SCHEDULE, params={"job_name": "lab-5", "due_time": "1s"})
    assert (response.status_code, response.json()["errorCode"]) == (503, "ERR_SIDECAR_UNAVAILABLE")


async def test_bad_job_name_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(SCHEDULE, params={"job_name": "a b", "due_time": "1s"})
    assert response.status_code == 422
