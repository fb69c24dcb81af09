"""Agent settings, read once from the environment (Dapr's variable names where they exist)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from actors import parse_duration
from appkit.settings import app_fields, number


class JobsApiVersion(StrEnum):
    ALPHA1 = "v1.0-alpha1"  # every Dapr from 1.14
    STABLE = "v1.0"  # Dapr 1.18 and later


@dataclass(frozen=True)
class AgentSettings:
    """Everything the agent app needs to know; build with :meth:`from_env`."""

    app_port: int = 8002
    app_host: str = "127.0.0.1"
    dapr_http_endpoint: str = "http://127.0.0.1:3500"
    dapr_api_token: str | None = field(default=None, repr=False)
    app_api_token: str | None = field(default=None, repr=False)  # required from the sidecar
    api_key: str | None = field(default=None, repr=False)  # required on the task and lab API
    jobs_api_version: JobsApiVersion = JobsApiVersion.ALPHA1
    notifier_app_id: str = "notifier"
    default_remind_before: timedelta = timedelta(minutes=15)
    job_retry_interval: timedelta = timedelta(seconds=5)
    job_max_retries: int = 120
    http_timeout: float = 30.0
    state_store: str = "statestore"  # the directory of agents (GET /agents, self-check)
    reconcile_interval: timedelta = timedelta(minutes=5)  # 0: no periodic self-check
    missed_grace: timedelta = timedelta(seconds=30)  # a due step's job may be gone this late

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AgentSettings:
        """Raises ValueError naming the variable when a value does not parse."""
        return cls(
            **app_fields(env, cls, "PM_API_KEY"),
            jobs_api_version=_version(env.get("DAPR_JOBS_API_VERSION", cls.jobs_api_version)),
            notifier_app_id=env.get("PM_NOTIFIER_APP_ID", cls.notifier_app_id),
            default_remind_before=_duration(env, "PM_DEFAULT_REMIND_BEFORE", "15m"),
            job_retry_interval=_duration(env, "PM_JOB_RETRY_INTERVAL", "5s"),
            job_max_retries=number(env, "PM_JOB_MAX_RETRIES", cls.job_max_retries, int),
            http_timeout=number(env, "PM_HTTP_TIMEOUT", cls.http_timeout, float),
            state_store=env.get("PM_STATE_STORE", cls.state_store),
            reconcile_interval=_duration(env, "PM_RECONCILE_INTERVAL", "5m"),
            missed_grace=_duration(env, "PM_MISSED_GRACE", "30s"),
        )


def _duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    try:
        return parse_duration(name, env.get(name) or default)
    except Exception as exc:
        raise ValueError(str(exc)) from exc


def _version(value: str) -> JobsApiVersion:
    try:
        return JobsApiVersion(value)
    except ValueError as exc:
        allowed = ", ".join(v.value for v in JobsApiVersion)
        raise ValueError(f"DAPR_JOBS_API_VERSION must be one of {allowed}, got {value!r}") from exc
