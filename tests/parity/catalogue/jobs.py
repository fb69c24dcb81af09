"""Jobs API, on both route versions: create/get/delete, every validation layer, and what the
app receives when a job fires (dapr-jobs.md §1, §3.1)."""

from __future__ import annotations

from .._model import Exchange, x

V1, ALPHA = "/v1.0/jobs", "/v1.0-alpha1/jobs"

FIELDS = {
    "schedule": "@every 1m",
    "repeats": 123,
    "dueTime": "1000s",
    "ttl": "123s",
    "data": "hello world",
    "failurePolicy": {"constant": {"interval": "3s", "maxRetries": 5}},
}


def _crud(prefix: str, tag: str) -> list[Exchange]:
    base = f"{prefix}/{tag}-crud"
    return [
        x(f"jobs.{tag}.create", f"POST {base}", {"dueTime": "1h", "data": {"b": 1, "a": "x"}}),
        x(f"jobs.{tag}.get", f"GET {base}"),
        x(f"jobs.{tag}.create-exists", f"POST {base}", {"dueTime": "1h"}),
        x(f"jobs.{tag}.overwrite", f"POST {base}", {"dueTime": "2h", "overwrite": True}),
        x(f"jobs.{tag}.get-overwritten", f"GET {base}"),
        x(f"jobs.{tag}.delete", f"DELETE {base}"),
        x(f"jobs.{tag}.get-deleted", f"GET {base}"),
        x(f"jobs.{tag}.delete-again", f"DELETE {base}"),
        x(f"jobs.{tag}.fields", f"POST {prefix}/{tag}-fields", FIELDS),
        x(f"jobs.{tag}.get-fields", f"GET {prefix}/{tag}-fields"),
        x(f"jobs.{tag}.not-json", f"POST {prefix}/{tag}-bad", "not json"),
        x(f"jobs.{tag}.empty-object", f"POST {prefix}/{tag}-bad", {}),
        x(f"jobs.{tag}.bad-duetime", f"POST {prefix}/{tag}-bad", {"dueTime": "soon"}),
    ]


def _validation(prefix: str) -> list[Exchange]:
    bad = f"{prefix}/v-bad"
    cases: list[tuple[str, object]] = [
        ("no-body", None),
        ("array-body", "[{}]"),
        ("name-in-body", {"name": "other", "dueTime": "1s"}),
        ("schedule-five-fields", {"schedule": "* * * * *"}),
        ("schedule-empty", {"schedule": ""}),
        ("schedule-descriptor", {"schedule": "@fortnightly"}),
        ("schedule-bad-every", {"schedule": "@every often"}),
        ("schedule-bare-duration", {"schedule": "2h45m"}),
        ("schedule-bad-zone", {"schedule": "CRON_TZ=Mars/Base 0 0 9 * * *"}),
        ("schedule-zone-on-every", {"schedule": "CRON_TZ=UTC @every 1h"}),
        ("schedule-zone-alone", {"schedule": "TZ=UTC"}),
        ("repeats-zero", {"schedule": "@every 1h", "repeats": 0}),
        ("repeats-negative", {"schedule": "@every 1h", "repeats": -1}),
        ("repeats-fraction", {"schedule": "@every 1h", "repeats": 1.5}),
        ("repeats-without-schedule", {"dueTime": "1h", "repeats": 2}),
        ("ttl-without-schedule", {"dueTime": "1h", "ttl": "2h"}),
        ("ttl-bad", {"schedule": "@every 1h", "ttl": "forever"}),
        ("ttl-before-duetime", {"schedule": "@every 1h", "dueTime": "2h", "ttl": "1h"}),
        (
            "ttl-absolute-before-duetime",
            {"schedule": "@every 1h", "dueTime": "${future_day}", "ttl": "${future}"},
        ),
        ("duetime-repeating-iso", {"dueTime": "R2/PT1H"}),
        ("duetime-number", {"dueTime": 10}),
        ("schedule-number", {"schedule": 5}),
        ("overwrite-string", {"dueTime": "1h", "overwrite": "yes"}),
        ("policy-minutes", {"dueTime": "1h", "failurePolicy": {"constant": {"interval": "1m"}}}),
        ("policy-unknown-kind", {"dueTime": "1h", "failurePolicy": {"forever": {}}}),
        ("policy-both", {"dueTime": "1h", "failurePolicy": {"drop": {}, "constant": {}}}),
        (
            "policy-retries-negative",
            {"dueTime": "1h", "failurePolicy": {"constant": {"maxRetries": -1}}},
        ),
        ("data-not-json", '{"dueTime":"1h","data":}'),
    ]
    return [x(f"jobs.validate.{case}", f"POST {bad}", body) for case, body in cases]


def _accepted(prefix: str) -> list[Exchange]:
    """Bodies daprd accepts, read back with GET."""
    cases: list[tuple[str, object]] = [
        ("snake-case", {"due_time": "1h", "failure_policy": {"drop": {}}}),
        ("repeats-string", {"schedule": "@every 1h", "repeats": "3"}),
        ("unknown-keys", {"dueTime": "1h", "colour": "blue"}),
        ("policy-empty", {"dueTime": "1h", "failurePolicy": {}}),
        ("policy-fraction", {"dueTime": "1h", "failurePolicy": {"constant": {"interval": "0.5s"}}}),
        ("cron-zone", {"schedule": "CRON_TZ=Europe/Rome 0 0 9 * * *"}),
        ("iso-duetime", {"dueTime": "PT1H30M"}),
        ("absolute-duetime", {"dueTime": "${future}", "data": [1, "two", None]}),
        ("six-fields", {"schedule": "1 2 3 4 5 6", "ttl": "${future_day}"}),
        ("data-null", {"dueTime": "1h", "data": None}),
        ("wrapped-data", {"dueTime": "1h", "data": {"@type": "x.StringValue", "value": "x"}}),
    ]
    out: list[Exchange] = []
    for case, body in cases:
        out.append(x(f"jobs.accept.{case}", f"POST {prefix}/a-{case}", body))
        out.append(x(f"jobs.accept.{case}.get", f"GET {prefix}/a-{case}"))
    return out


def _names(prefix: str) -> list[Exchange]:
    cases = {
        "space": "%20",
        "trimmed": "%20padded%20",
        "hash": "a%23b",
        "question": "a%3Fb",
        "backslash": "a%5Cb",
        "slash": "a%2Fb",
        "nul": "a%00b",
        "control": "a%01b",
        "del": "x%7Fy",
        "pipes-at": "my||job@name",
        "unicode": "%C3%A9t%C3%A9",
        "longest": "n" * 490,
        "too-long": "n" * 491,
        "too-long-bytes": "%C3%A9" * 250,
    }
    out = [
        x(f"jobs.name.{case}", f"POST {prefix}/{name}", {"dueTime": "1h"})
        for case, name in cases.items()
    ]
    out.append(x("jobs.name.trimmed.get", f"GET {prefix}/padded"))
    out.append(x("jobs.name.get-bad", f"GET {prefix}/a%23b"))
    out.append(x("jobs.name.delete-bad", f"DELETE {prefix}/a%3Fb"))
    out.append(x("jobs.name.get-space", f"GET {prefix}/%20"))
    return out


def _triggers(prefix: str) -> list[Exchange]:
    """Jobs due now: what the app receives (POST /job/<name>, the data alone)."""
    cases: list[tuple[str, object]] = [
        ("object", {"b": 1, "a": "x"}),
        ("string", "someData"),
        ("number", 123),
        ("array", [1, {"z": None}]),
        ("null", None),
        ("escapes", "<tag> & \u2028"),
    ]
    out = [
        x(
            f"jobs.fire.{case}",
            f"POST {prefix}/fire-{case}",
            {"dueTime": "0s", "data": data},
            app=f"/job/fire-{case}",
            app_count=1,
        )
        for case, data in cases
    ]
    out.append(
        x(
            "jobs.fire.no-data",
            f"POST {prefix}/fire-nodata",
            {"dueTime": "0s"},
            app="/job/fire-nodata",
            app_count=1,
        )
    )
    out.append(
        x(
            "jobs.fire.past",
            f"POST {prefix}/fire-past",
            {"dueTime": "${past}", "data": 1},
            app="/job/fire-past",
            app_count=1,
        )
    )
    out.append(
        x(
            "jobs.fire.repeats",
            f"POST {prefix}/fire-rep",
            {"schedule": "@every 10ms", "repeats": 2, "data": "r"},
            app="/job/fire-rep",
            app_count=2,
        )
    )
    out.append(x("jobs.fire.gone", f"GET {prefix}/fire-object"))
    out.append(
        x(
            "jobs.fire.alpha",
            f"POST {ALPHA}/fire-alpha",
            {"dueTime": "0s", "data": "a"},
            app="/job/fire-alpha",
            app_count=1,
        )
    )
    return out


EXCHANGES: list[Exchange] = [
    *_crud(V1, "v1"),
    *_crud(ALPHA, "alpha1"),
    *_validation(V1),
    *_accepted(V1),
    *_names(V1),
    *_triggers(V1),
]
