"""Reading the apps' settings from the environment, the same way for the agent and the notifier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

N = TypeVar("N", int, float)
_KIND = {int: "an integer", float: "a number"}


def sidecar_endpoint(env: Mapping[str, str]) -> str:
    """``DAPR_HTTP_ENDPOINT``, else ``http://{DAPR_RUNTIME_HOST}:{DAPR_HTTP_PORT}`` (as the SDK)."""
    if env.get("DAPR_HTTP_ENDPOINT"):
        return env["DAPR_HTTP_ENDPOINT"].rstrip("/")
    host = env.get("DAPR_RUNTIME_HOST") or "127.0.0.1"
    return f"http://{host}:{number(env, 'DAPR_HTTP_PORT', 3500, int)}"


def number(env: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    """``env[name]`` as ``kind`` (``default`` when unset or empty); ValueError naming the
    variable and what it holds when it does not parse."""
    try:
        return kind(env.get(name) or default)
    except ValueError as exc:
        raise ValueError(f"{name} must be {_KIND[kind]}, got {env.get(name)!r}") from exc


def app_fields(env: Mapping[str, str], defaults: Any, api_key_variable: str) -> dict[str, Any]:
    """The settings each app reads alike: its own port and host, the sidecar's endpoint, Dapr's
    two tokens, and the API key of its own API (from ``api_key_variable``)."""
    return {
        "app_port": number(env, "APP_PORT", defaults.app_port, int),
        "app_host": env.get("APP_HOST", defaults.app_host),
        "dapr_http_endpoint": sidecar_endpoint(env),
        "dapr_api_token": env.get("DAPR_API_TOKEN") or None,
        "app_api_token": env.get("APP_API_TOKEN") or None,
        "api_key": env.get(api_key_variable) or None,
    }
