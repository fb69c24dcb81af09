"""Metadata, health, and the API token (on the ``token`` runtime, started with
DAPR_API_TOKEN) (dapr-sidecar.md §7, §8)."""

from __future__ import annotations

from .._model import API_TOKEN, TOKEN, Exchange, x

GOOD = {"dapr-api-token": API_TOKEN}


def _metadata() -> list[Exchange]:
    return [
        x("metadata.get", "GET /v1.0/metadata"),
        x("metadata.put", "PUT /v1.0/metadata/myKey", "my value"),
        x("metadata.get-after-put", "GET /v1.0/metadata"),
    ]


def _health() -> list[Exchange]:
    return [
        x("health.healthz", "GET /v1.0/healthz"),
        x("health.outbound", "GET /v1.0/healthz/outbound"),
        x("health.appid-match", "GET /v1.0/healthz?appid=parity"),
        x("health.appid-mismatch", "GET /v1.0/healthz?appid=other"),
    ]


def _token() -> list[Exchange]:
    def t(ex_id: str, line: str, body: object = None, **kw: object) -> Exchange:
        return x(ex_id, line, body, runtime=TOKEN, **kw)  # type: ignore[arg-type]

    return [
        t("token.missing", "GET /v1.0/metadata"),
        t("token.wrong", "GET /v1.0/metadata", headers={"dapr-api-token": "wrong"}),
        t("token.state-missing", "POST /v1.0/state/statestore", [{"key": "a", "value": 1}]),
        t("token.jobs-missing", "GET /v1.0/jobs/x"),
        t("token.invoke-missing", "GET /v1.0/invoke/parity-token/method/echo"),
        t("token.healthz-exempt", "GET /v1.0/healthz"),
        t("token.outbound-exempt", "GET /v1.0/healthz/outbound"),
        t(
            "token.good-state",
            "POST /v1.0/state/statestore",
            [{"key": "a", "value": 1}],
            headers=GOOD,
        ),
        t(
            "token.good-invoke",
            "GET /v1.0/invoke/parity-token/method/echo/t",
            headers=GOOD,
            app="/echo",
        ),
    ]


EXCHANGES: list[Exchange] = [*_health(), *_token(), *_metadata()]
