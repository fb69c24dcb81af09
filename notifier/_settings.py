"""Notifier settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from appkit.settings import app_fields, number


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
            **app_fields(env, cls, "NOTIFIER_API_KEY"),
            state_store=env.get("NOTIFIER_STATE_STORE", cls.state_store),
            webhook_url=env.get("NOTIFIER_WEBHOOK_URL") or None,
            webhook_secret=env.get("NOTIFIER_WEBHOOK_SECRET") or None,
            routes_json=env.get("NOTIFIER_ROUTES") or None,
            smtp_host=env.get("NOTIFIER_SMTP_HOST", cls.smtp_host),
            smtp_port=number(env, "NOTIFIER_SMTP_PORT", cls.smtp_port, int),
            smtp_from=env.get("NOTIFIER_SMTP_FROM", cls.smtp_from),
            webhook_attempts=number(env, "NOTIFIER_WEBHOOK_ATTEMPTS", cls.webhook_attempts, int),
            webhook_backoff_seconds=number(
                env, "NOTIFIER_WEBHOOK_BACKOFF_SECONDS", cls.webhook_backoff_seconds, float
            ),
            http_timeout=number(env, "NOTIFIER_HTTP_TIMEOUT", cls.http_timeout, float),
        )
