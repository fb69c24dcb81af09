from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from actors import JobRequest
from agent import AgentSettings, JobsApiVersion
from agent._jobs import JobsClient, failure_policy
from agent._sidecar_client import SidecarClient
from sidecar.timefmt import parse_proto_duration


def test_defaults() -> None:
    settings = AgentSettings.from_env({})
    assert settings.app_port == 8002
    assert settings.dapr_http_endpoint == "http://127.0.0.1:3500"
    assert settings.jobs_api_version is JobsApiVersion.ALPHA1
    assert settings.default_remind_before == timedelta(minutes=15)
    assert settings.dapr_api_token is None


def test_dapr_variables() -> None:
    env = {"APP_PORT": "9000", "DAPR_HTTP_PORT": "3601", "DAPR_API_TOKEN": "t"}
    settings = AgentSettings.from_env(env)
    assert (settings.app_port, settings.dapr_http_endpoint) == (9000, "http://127.0.0.1:3601")
    assert settings.dapr_api_token == "t"
    env = {"DAPR_HTTP_ENDPOINT": "https://dapr.example:443/", "DAPR_HTTP_PORT": "1"}
    assert AgentSettings.from_env(env).dapr_http_endpoint == "https://dapr.example:443"


def test_product_variables() -> None:
    env = {
        "DAPR_JOBS_API_VERSION": "v1.0",
        "PM_DEFAULT_REMIND_BEFORE": "PT1H",
        "PM_JOB_RETRY_INTERVAL": "500ms",
        "PM_JOB_MAX_RETRIES": "10",
    }
    settings = AgentSettings.from_env(env)
    assert settings.jobs_api_version is JobsApiVersion.STABLE
    assert settings.default_remind_before == timedelta(hours=1)
    assert (settings.job_retry_interval, settings.job_max_retries) == (timedelta(seconds=0.5), 10)


@pytest.mark.parametrize(
    "env",
    [
        {"APP_PORT": "x"},
        {"DAPR_JOBS_API_VERSION": "v2"},
        {"PM_DEFAULT_REMIND_BEFORE": "soon"},
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=next(iter(env))):
        AgentSettings.from_env(env)


async def test_jobs_client_stable_version_and_failure_policy() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    settings = AgentSettings(
        jobs_api_version=JobsApiVersion.STABLE, job_retry_interval=timedelta(seconds=0.5)
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        jobs = JobsClient(SidecarClient(http, "http://s", None), settings)
        due = datetime(2030, 1, 1, 10, tzinfo=UTC)
        await jobs.schedule(JobRequest("pm-reminder-a--b", due, {"k": 1}))
    assert seen[0].url == "http://s/v1.0/jobs/pm-reminder-a--b"
    assert "dapr-api-token" not in seen[0].headers
    assert json.loads(seen[0].content) == {
        "dueTime": "2030-01-01T10:00:00Z",
        "data": {"k": 1},
        "overwrite": True,
        "failurePolicy": {"constant": {"interval": "0.500s", "maxRetries": 120}},
    }


@pytest.mark.parametrize(
    ("setting", "interval"),
    [
        ("5s", "5s"),
        ("0", "0s"),
        ("300h", "1080000s"),  # was "1.08e+06s", which protobuf Duration JSON refuses
        ("8784h", "31622400s"),
        ("0.5s", "0.500s"),
        ("1.25s", "1.250s"),
        ("PT1.5S", "1.500s"),
        ("1500ms", "1.500s"),
        ("1.234567s", "1.234567s"),  # was rounded to "1.23457s"
        ("1h0.000001s", "3600.000001s"),
        ("250us", "0.000250s"),
        ("1m30s", "90s"),
    ],
)
def test_failure_policy_interval_is_an_exact_protobuf_duration(setting: str, interval: str) -> None:
    settings = AgentSettings.from_env({"PM_JOB_RETRY_INTERVAL": setting})
    policy = failure_policy(settings.job_retry_interval, 7)
    assert policy == {"constant": {"interval": interval, "maxRetries": 7}}
    assert (
        parse_proto_duration(interval) == settings.job_retry_interval
    )  # the runtime reads it back
