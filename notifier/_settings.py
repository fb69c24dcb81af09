"""Notifier settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class NotifierSettings:
    app_port: int = 8003
    app_host: str = "127.0.0.1"
    dapr_http_endpoint: str = "http://127.0.0.1:3500"
    dapr_api_token: str | None = field(default=None, repr=False)
    app_api_token: str | None = field(default=None, repr=False)  # required on the intake
    api_key: str | None = field(default=None, repr=False)  # required on the history
    state_store: str = "statestore"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_attempts: int = 3
    webhook_backoff_seconds: float = 0.5
    routes_json: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "notifier@localhost"
    http_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifierSettings:
        return cls(
            app_port=_num(env, "APP_PORT", cls.app_port, int),
            app_host=env.get("APP_HOST", cls.app_host),
            dapr_http_endpoint=_endpoint(env),
            dapr_api_token=env.get("DAPR_API_TOKEN") or None,
            app_api_token=env.get("APP_API_TOKEN") or None,
            api_key=env.get("NOTIFIER_API_KEY") or None,
            state_store=env.get("NOTIFIER_STATE_STORE", cls.state_store),
            webhook_url=env.get("NOTIFIER_WEBHOOK_URL") or None,
            webhook_secret=env.get("NOTIFIER_WEBHOOK_SECRET") or None,
            routes_json=env.get("NOTIFIER_ROUTES") or None,
            smtp_host=env.get("NOTIFIER_SMTP_HOST", cls.smtp_host),
            smtp_port=_num(env, "NOTIFIER_SMTP_PORT", cls.smtp_port, int),
            smtp_from=env.get("NOTIFIER_SMTP_FROM", cls.smtp_from),
            webhook_attempts=_num(env, "NOTIFIER_WEBHOOK_ATTEMPTS", cls.webhook_attempts, int),
            webhook_backoff_seconds=_num(
                env, "NOTIFIER_WEBHOOK_BACKOFF_SECONDS", cls.webhook_backoff_seconds, float
            ),
            http_timeout=_num(env, "NOTIFIER_HTTP_TIMEOUT", cls.http_timeout, float),
        )


def _endpoint(env: Mapping[str, str]) -> str:
    if env.get("DAPR_HTTP_ENDPOINT"):
        return env["DAPR_HTTP_ENDPOINT"].rstrip("/")
    host = env.get("DAPR_RUNTIME_HOST") or "127.0.0.1"
    return f"http://{host}:{_num(env, 'DAPR_HTTP_PORT', 3500, int)}"


def _num(env: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    try:
        return kind(env.get(name) or default)
    except ValueError as exc:
        raise ValueError(f"{name} must be a {kind.__name__}, got {env.get(name)!r}") from exc
