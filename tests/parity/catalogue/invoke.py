"""Service invocation: verbs, sub-paths and query strings, headers both ways, the app's status
and content type passed through, the dapr-app-id header form, another app, an unknown app
(dapr-sidecar.md §6)."""

from __future__ import annotations

from .._model import JSON_HEADERS, TOKEN, TRACEPARENT, Exchange, x

SELF = "/v1.0/invoke/parity/method"
OTHER = "/v1.0/invoke/parity-token/method"


def _self() -> list[Exchange]:
    return [
        x(
            "invoke.post-json",
            f"POST {SELF}/echo/a?x=1&y=two",
            {"n": 1},
            headers={**JSON_HEADERS, "x-custom": "c"},
            app="/echo",
        ),
        x("invoke.get", f"GET {SELF}/echo/get", app="/echo"),
        x(
            "invoke.put-text",
            f"PUT {SELF}/echo/put",
            "plain words",
            headers={"content-type": "text/plain"},
            app="/echo",
        ),
        x("invoke.patch-no-type", f"PATCH {SELF}/echo/patch", "raw", app="/echo"),
        x("invoke.delete", f"DELETE {SELF}/echo/del", app="/echo"),
        x("invoke.head", f"HEAD {SELF}/echo/head", app="/echo"),
        x("invoke.options", f"OPTIONS {SELF}/echo/options", app="/echo"),
        x("invoke.status-201", f"POST {SELF}/status/201", {}, headers=JSON_HEADERS, app="/status"),
        x("invoke.status-404", f"GET {SELF}/status/404", app="/status"),
        x("invoke.status-418", f"GET {SELF}/status/418", app="/status"),
        x("invoke.status-500", f"GET {SELF}/status/500", app="/status"),
        x("invoke.status-503", f"GET {SELF}/status/503", app="/status"),
        x("invoke.text-answer", f"GET {SELF}/text", app="/text"),
        x(
            "invoke.traceparent",
            f"GET {SELF}/echo/trace",
            headers={"traceparent": TRACEPARENT, "tracestate": "k=v"},
            app="/echo",
        ),
        x("invoke.encoded-path", f"GET {SELF}/echo/a%20b", app="/echo"),
        x(
            "invoke.header-form",
            "POST /some/path?q=1",
            "body",
            headers={"dapr-app-id": "parity"},
            app="/some",
        ),
        x(
            "invoke.header-form-unknown-route",
            "GET /v1.0/nothing-here",
            headers={"dapr-app-id": "parity"},
            app="/v1.0",
        ),
        x(
            "invoke.caller-headers-replaced",
            f"GET {SELF}/echo/caller",
            headers={"dapr-caller-app-id": "spoof", "dapr-callee-app-id": "spoof"},
            app="/echo",
        ),
    ]


def _other() -> list[Exchange]:
    return [
        x(
            "invoke.other-app",
            f"POST {OTHER}/echo/x?z=9",
            {"to": "other"},
            headers=JSON_HEADERS,
            app="/echo",
            app_runtime=TOKEN,
        ),
        x("invoke.other-app-status", f"GET {OTHER}/status/409", app="/status", app_runtime=TOKEN),
        x("invoke.unknown-app", "GET /v1.0/invoke/nobody/method/x"),
        x("invoke.no-app-id", "GET /v1.0/not-a-route"),
        x("invoke.empty-method", f"GET {SELF}/", app="/"),
    ]


EXCHANGES: list[Exchange] = [*_self(), *_other()]
