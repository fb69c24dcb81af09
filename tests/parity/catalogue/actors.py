"""The actor API against app ``parity`` (hosts type ``T``): method calls, state, reminders and
timers, and their errors (dapr-sidecar.md §2, §3)."""

from __future__ import annotations

from .._model import JSON_HEADERS, TRACEPARENT, Exchange, x

A = "/v1.0/actors/T/a1"


def _methods() -> list[Exchange]:
    return [
        x(
            "actors.invoke.post",
            f"POST {A}/method/echo?q=1",
            {"x": 1},
            headers={**JSON_HEADERS, "x-custom": "c"},
            app="/actors/T/a1",
        ),
        x("actors.invoke.get-no-body", f"GET {A}/method/echo", app="/actors/T/a1"),
        x(
            "actors.invoke.put-text",
            f"PUT {A}/method/echo",
            "words",
            headers={"content-type": "text/plain"},
            app="/actors/T/a1",
        ),
        x("actors.invoke.delete", f"DELETE {A}/method/echo", app="/actors/T/a1"),
        x(
            "actors.invoke.traceparent",
            f"POST {A}/method/echo",
            "{}",
            headers={"traceparent": TRACEPARENT},
            app="/actors/T/a1",
        ),
        x("actors.invoke.app-500", f"POST {A}/method/fail", {}, app="/actors/T/a1"),
        x("actors.invoke.app-201", f"POST {A}/method/created", {}, app="/actors/T/a1"),
        x("actors.invoke.error-header", f"POST {A}/method/errheader", {}, app="/actors/T/a1"),
        x("actors.invoke.bad-id", "POST /v1.0/actors/T/a%23b/method/echo", {}),
        x("actors.invoke.bad-type", "POST /v1.0/actors/T%23x/a1/method/echo", {}),
        x("actors.invoke.type-not-hosted", "POST /v1.0/actors/U/a1/method/echo", {}),
        x("actors.invoke.bad-method", f"POST {A}/method/a%3Fb", {}),
        x("actors.invoke.nul-method", f"POST {A}/method/a%00b", {}),
        x("actors.invoke.hash-method", f"POST {A}/method/a%23b", {}),
        x("actors.invoke.control-method", f"POST {A}/method/a%01b", {}),
    ]


def _state() -> list[Exchange]:
    upsert = [{"operation": "upsert", "request": {"key": "s1", "value": {"v": 1, "list": [1.0]}}}]
    return [
        x("actors.state.tx", f"POST {A}/state", upsert),
        x("actors.state.get", f"GET {A}/state/s1"),
        x("actors.state.get-missing", f"GET {A}/state/none"),
        x(
            "actors.state.tx-put-delete",
            f"PUT {A}/state",
            [
                {"operation": "upsert", "request": {"key": "s2", "value": "two"}},
                {"operation": "delete", "request": {"key": "s1"}},
            ],
        ),
        x("actors.state.get-deleted", f"GET {A}/state/s1"),
        x("actors.state.get-after-put", f"GET {A}/state/s2"),
        x("actors.state.inactive-actor", "POST /v1.0/actors/T/never-called/state", upsert),
        x("actors.state.get-inactive", "GET /v1.0/actors/T/never-called/state/s1"),
        x(
            "actors.state.unknown-op",
            f"POST {A}/state",
            [{"operation": "merge", "request": {"key": "s"}}],
        ),
        x("actors.state.not-array", f"POST {A}/state", {"operation": "upsert"}),
        x("actors.state.not-json", f"POST {A}/state", "nope"),
        x(
            "actors.state.ttl-without-feature",
            f"POST {A}/state",
            [
                {
                    "operation": "upsert",
                    "request": {"key": "s3", "value": 1, "metadata": {"ttlInSeconds": "60"}},
                }
            ],
        ),
        x("actors.state.reserved-type", "GET /v1.0/actors/dapr.internal.wf/x/state/k"),
    ]


def _reminders() -> list[Exchange]:
    r = f"{A}/reminders"
    return [
        x(
            "actors.reminder.fire",
            f"POST {r}/now",
            {"dueTime": "0s", "data": {"z": 1}},
            app="/actors/T/a1/method/remind/now",
            app_count=1,
        ),
        x(
            "actors.reminder.fire-no-data",
            f"PUT {r}/bare",
            {"dueTime": "0s"},
            app="/actors/T/a1/method/remind/bare",
            app_count=1,
        ),
        x("actors.reminder.get-fired", f"GET {r}/now"),
        x(
            "actors.reminder.create",
            f"POST {r}/later",
            {"dueTime": "1h", "period": "R3/PT1M", "ttl": "2h", "data": "d"},
        ),
        x("actors.reminder.get", f"GET {r}/later"),
        x(
            "actors.reminder.create-go-period",
            f"POST {r}/go",
            {"dueTime": "${future}", "period": "90s"},
        ),
        x("actors.reminder.get-go-period", f"GET {r}/go"),
        x(
            "actors.reminder.exists-no-overwrite",
            f"POST {r}/later",
            {"dueTime": "1h", "overwrite": False},
        ),
        x("actors.reminder.overwrite-default", f"POST {r}/later", {"dueTime": "3h"}),
        x("actors.reminder.get-overwritten", f"GET {r}/later"),
        x("actors.reminder.bad-duetime", f"POST {r}/bad", {"dueTime": "soon"}),
        x("actors.reminder.bad-period", f"POST {r}/bad", {"dueTime": "1h", "period": "sometimes"}),
        x("actors.reminder.day-period", f"POST {r}/bad", {"period": "P1D"}),
        x("actors.reminder.zero-repeats", f"POST {r}/zero", {"dueTime": "1h", "period": "R0/PT1M"}),
        x("actors.reminder.zero-repeats.get", f"GET {r}/zero"),
        x("actors.reminder.bad-ttl", f"POST {r}/bad", {"dueTime": "1h", "ttl": "later"}),
        x("actors.reminder.not-json", f"POST {r}/bad", "{"),
        x("actors.reminder.bad-name", f"POST {r}/a%23b", {"dueTime": "1h"}),
        x("actors.reminder.get-missing", f"GET {r}/none"),
        x("actors.reminder.delete", f"DELETE {r}/later"),
        x("actors.reminder.get-deleted", f"GET {r}/later"),
        x("actors.reminder.delete-missing", f"DELETE {r}/none"),
        x("actors.reminder.non-hosted", "POST /v1.0/actors/U/a1/reminders/r", {"dueTime": "1h"}),
        x("actors.reminder.non-hosted-get", "GET /v1.0/actors/U/a1/reminders/r"),
        x(
            "actors.reminder.reserved-type",
            "POST /v1.0/actors/dapr.internal.x/a/reminders/r",
            {"dueTime": "1h"},
        ),
    ]


def _timers() -> list[Exchange]:
    t = f"{A}/timers"
    return [
        x(
            "actors.timer.fire",
            f"POST {t}/tick",
            {"dueTime": "0s", "callback": "cb", "data": "d"},
            app="/actors/T/a1/method/timer/tick",
            app_count=1,
        ),
        x(
            "actors.timer.fire-object-data",
            f"PUT {t}/obj",
            {"dueTime": "0s", "data": {"k": [1]}},
            app="/actors/T/a1/method/timer/obj",
            app_count=1,
        ),
        x(
            "actors.timer.create",
            f"POST {t}/slow",
            {"dueTime": "1h", "period": "1h", "callback": "cb"},
        ),
        x("actors.timer.delete", f"DELETE {t}/slow"),
        x("actors.timer.delete-missing", f"DELETE {t}/none"),
        x("actors.timer.bad-duetime", f"POST {t}/bad", {"dueTime": "soon"}),
        x("actors.timer.bad-period", f"POST {t}/bad", {"period": "sometimes"}),
        x("actors.timer.zero-repeats", f"POST {t}/bad", {"period": "R0/PT1S"}),
        x("actors.timer.ttl-expired", f"POST {t}/bad", {"dueTime": "1h", "ttl": "${past}"}),
        x("actors.timer.not-json", f"POST {t}/bad", "nope"),
        x("actors.timer.non-hosted", "POST /v1.0/actors/U/a1/timers/t", {"dueTime": "0s"}),
        x("actors.timer.bad-name", f"POST {t}/a%23b", {"dueTime": "1h"}),
    ]


EXCHANGES: list[Exchange] = [*_methods(), *_state(), *_reminders(), *_timers()]
