"""Jobs API answers, status for status and body for body (dapr-jobs.md §1.3–§1.5)."""

from __future__ import annotations

import httpx
import pytest

from sidecar._sidecar import Sidecar

META = {"appID": "myapp", "namespace": "default"}
INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def kit(code: str, message: str) -> dict[str, object]:
    return {
        "errorCode": code,
        "message": message,
        "details": [{"@type": INFO, "domain": "dapr.io", "metadata": META, "reason": code}],
    }


@pytest.mark.parametrize("version", ["v1.0", "v1.0-alpha1"])
async def test_create_get_delete(client: httpx.AsyncClient, version: str) -> None:
    body = {
        "schedule": "@every 1m",
        "repeats": 123,
        "dueTime": "1000s",
        "ttl": "123s",
        "data": "hello world",
        "failurePolicy": {"constant": {"interval": "3s", "maxRetries": 5}},
    }
    r = await client.post(f"/{version}/jobs/test", json=body)
    assert (r.status_code, r.content) == (204, b"")
    r = await client.get(f"/{version}/jobs/test")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.content == (
        b'{"name":"test","schedule":"@every 1m","repeats":123,"dueTime":"1000s","ttl":"123s",'
        b'"data":{"@type":"type.googleapis.com/google.protobuf.Value","value":"hello world"},'
        b'"failurePolicy":{"constant":{"interval":"3s","maxRetries":5}}}'
    )
    assert (await client.delete(f"/{version}/jobs/test")).status_code == 204
    assert (await client.get(f"/{version}/jobs/test")).status_code == 500


async def test_get_shows_default_failure_policy_and_snake_case_accepted(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/v1.0/jobs/j", json={"due_time": "10s", "data": {"b": 1, "a": "x"}})
    assert r.status_code == 204
    job = (await client.get("/v1.0/jobs/j")).json()
    assert job == {
        "name": "j",
        "dueTime": "10s",
        "data": {"@type": "type.googleapis.com/google.protobuf.Value", "value": {"a": "x", "b": 1}},
        "failurePolicy": {"constant": {"interval": "1s", "maxRetries": 3}},
    }


async def test_existing_job_without_overwrite_is_409(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1.0/jobs/backup", json={"dueTime": "1h"})).status_code == 204
    r = await client.post("/v1.0/jobs/backup", json={"dueTime": "2h"})
    assert r.status_code == 409
    assert r.json() == kit(
        "DAPR_SCHEDULER_SCHEDULE_JOB",
        "failed to schedule job due to: rpc error: code = AlreadyExists desc = "
        "job already exists: 'app||default||myapp||backup'",
    )
    assert (await client.get("/v1.0/jobs/backup")).json()["dueTime"] == "1h"
    r = await client.post("/v1.0/jobs/backup", json={"dueTime": "2h", "overwrite": True})
    assert r.status_code == 204
    assert (await client.get("/v1.0/jobs/backup")).json()["dueTime"] == "2h"


async def test_missing_job_get_is_500_and_delete_is_204(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1.0/jobs/nope")
    assert r.status_code == 500
    assert r.json() == kit(
        "DAPR_SCHEDULER_GET_JOB",
        "failed to get job due to: rpc error: code = NotFound desc = job not found: nope",
    )
    assert (await client.delete("/v1.0/jobs/nope")).status_code == 204


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "DAPR_SCHEDULER_SCHEDULE_EMPTY"),
        (b"{}", 400, "DAPR_SCHEDULER_SCHEDULE_EMPTY"),
        (b'{"name":"test"}', 400, "DAPR_SCHEDULER_JOB_NAME"),
        (b"[{}]", 400, "ERR_MALFORMED_REQUEST"),
        (b"{not json", 400, "ERR_MALFORMED_REQUEST"),
        (b'{"dueTime":"1s","repeats":-1}', 400, "ERR_MALFORMED_REQUEST"),
        (b'{"dueTime":"1s","repeats":1.5}', 400, "ERR_MALFORMED_REQUEST"),
        (b'{"dueTime":5}', 400, "ERR_MALFORMED_REQUEST"),
        (b'{"dueTime":"1s","overwrite":"yes"}', 400, "ERR_MALFORMED_REQUEST"),
        (
            b'{"dueTime":"1s","failurePolicy":{"constant":{"interval":"1m"}}}',
            400,
            "ERR_MALFORMED_REQUEST",
        ),
        (b'{"dueTime":"1s","repeats":0}', 500, "DAPR_SCHEDULER_SCHEDULE_JOB"),
        (b'{"dueTime":"1s","repeats":2}', 500, "DAPR_SCHEDULER_SCHEDULE_JOB"),
        (b'{"dueTime":"1s","ttl":"1h"}', 500, "DAPR_SCHEDULER_SCHEDULE_JOB"),
        (b'{"schedule":"* * * * *"}', 500, "DAPR_SCHEDULER_SCHEDULE_JOB"),
        (b'{"schedule":""}', 500, "DAPR_SCHEDULER_SCHEDULE_JOB"),
        (b'{"schedule":"CRON_TZ=Mars/Olympus 0 0 9 * * *"}', 500, "DAPR_SCHEDULER_SCHEDULE_JOB"),
        (b'{"dueTime":"yesterday"}', 500, "DAPR_SCHEDULER_SCHEDULE_JOB"),
    ],
)
async def test_refused_creates_answer_like_daprd_and_store_nothing(
    client: httpx.AsyncClient, sidecar: Sidecar, body: bytes, status: int, code: str
) -> None:
    r = await client.post("/v1.0/jobs/j", content=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["errorCode"] == code
    assert await sidecar.job_store.records("app||default||myapp") == []


async def test_validation_message_text(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1.0/jobs/j", json={"schedule": "* * * * *"})
    assert r.json()["message"].startswith(
        "failed to schedule job due to: rpc error: code = Unknown desc = job failed validation: "
        "expected exactly 6 fields, found 5"
    )


async def test_whitespace_name_is_empty(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1.0/jobs/%20", json={"dueTime": "1s"})
    assert r.status_code == 400
    assert r.json() == kit("DAPR_SCHEDULER_JOB_NAME_EMPTY", "Name is empty")


async def test_post_trims_name(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1.0/jobs/%20pad%20", json={"dueTime": "1s"})).status_code == 204
    assert (await client.get("/v1.0/jobs/pad")).status_code == 200


@pytest.mark.parametrize("name", ["a%23b", "%2E%2E", "a%5Cb", "a%01b"])
async def test_invalid_names_are_refused(client: httpx.AsyncClient, name: str) -> None:
    r = await client.post(f"/v1.0/jobs/{name}", json={"dueTime": "1s"})
    assert r.status_code == 500
    assert r.json()["errorCode"] == "DAPR_SCHEDULER_SCHEDULE_JOB"


async def test_special_characters_allowed(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1.0/jobs/my||job@name", json={"dueTime": "1s"})).status_code == 204
    assert (await client.get("/v1.0/jobs/my||job@name")).json()["name"] == "my||job@name"


async def test_body_over_limit_is_refused(client: httpx.AsyncClient, sidecar: Sidecar) -> None:
    big = b'{"dueTime":"1s","data":"' + b"x" * (4 * 1024 * 1024) + b'"}'
    r = await client.post("/v1.0/jobs/big", content=big)
    assert r.status_code == 400
    assert r.json()["errorCode"] == "ERR_BODY_READ"
    assert await sidecar.job_store.get("app||default||myapp", "big") is None


async def test_unmatched_route_without_app_id_is_direct_invoke_404(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/v1.0/nothing/here")
    assert r.status_code == 404
    assert r.json() == {
        "errorCode": "ERR_DIRECT_INVOKE",
        "message": "failed getting app id either from the URL path or the header dapr-app-id",
    }


async def test_health_and_metadata(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1.0/healthz/outbound")).status_code == 204
    assert (await client.get("/v1.0/healthz")).status_code == 204
    assert (await client.put("/v1.0/metadata/cliPID", content=b"42")).status_code == 204
    meta = (await client.get("/v1.0/metadata")).json()
    assert meta["id"] == "myapp"
    assert meta["extended"]["cliPID"] == "42"
