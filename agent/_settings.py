"""Agent settings, read once from the environment (Dapr's variable names where they exist)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from actors import parse_duration


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
            app_port=_int(env, "APP_PORT", cls.app_port),
            app_host=env.get("APP_HOST", cls.app_host),
            dapr_http_endpoint=sidecar_endpoint(env),
            dapr_api_token=env.get("DAPR_API_TOKEN") or None,
            app_api_token=env.get("APP_API_TOKEN") or None,
            api_key=env.get("PM_API_KEY") or None,
            jobs_api_version=_version(env.get("DAPR_JOBS_API_VERSION", cls.jobs_api_version)),
            notifier_app_id=env.get("PM_NOTIFIER_APP_ID", cls.notifier_app_id),
            default_remind_before=_duration(env, "PM_DEFAULT_REMIND_BEFORE", "15m"),
            job_retry_interval=_duration(env, "PM_JOB_RETRY_INTERVAL", "5s"),
            job_max_retries=_int(env, "PM_JOB_MAX_RETRIES", cls.job_max_retries),
            http_timeout=float(env.get("PM_HTTP_TIMEOUT", cls.http_timeout)),
            state_store=env.get("PM_STATE_STORE", cls.state_store),
            reconcile_interval=_duration(env, "PM_RECONCILE_INTERVAL", "5m"),
            missed_grace=_duration(env, "PM_MISSED_GRACE", "30s"),
        )


def sidecar_endpoint(env: Mapping[str, str]) -> str:
    """``DAPR_HTTP_ENDPOINT``, else ``http://{DAPR_RUNTIME_HOST}:{DAPR_HTTP_PORT}`` (as the SDK)."""
    if env.get("DAPR_HTTP_ENDPOINT"):
        return env["DAPR_HTTP_ENDPOINT"].rstrip("/")
    host = env.get("DAPR_RUNTIME_HOST") or "127.0.0.1"
    return f"http://{host}:{_int(env, 'DAPR_HTTP_PORT', 3500)}"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name) or default)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {env.get(name)!r}") from exc


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
