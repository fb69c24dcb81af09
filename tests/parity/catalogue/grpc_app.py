"""An app called over gRPC (``appProtocol: grpc``, app ``parity-grpc``): HTTP callers invoke it,
publish to its topics and schedule its jobs; what they get back and what the app received
(``OnInvoke``, ``OnTopicEvent``, ``OnJobEvent`` with their metadata) is daprd's."""

from __future__ import annotations

from .._model import GRPC, JSON_HEADERS, TRACEPARENT, Exchange, x

SELF = "/v1.0/invoke/parity-grpc/method"
P = "/v1.0/publish/pubsub"


def _g(id: str, line: str, body: object = None, **kw: object) -> Exchange:
    return x(f"grpc-app.{id}", line, body, runtime=GRPC, **kw)  # type: ignore[arg-type]


def _invoke() -> list[Exchange]:
    return [
        _g(
            "invoke.post-json",
            f"POST {SELF}/echo?x=1&y=two",
            {"n": 1},
            headers={**JSON_HEADERS, "x-custom": "c", "traceparent": TRACEPARENT},
            app="/OnInvoke",
            app_count=1,
        ),
        _g("invoke.get", f"GET {SELF}/echo/sub", app="/OnInvoke", app_count=1),
        _g(
            "invoke.put-text",
            f"PUT {SELF}/echo",
            "plain words",
            headers={"content-type": "text/plain"},
            app="/OnInvoke",
            app_count=1,
        ),
        _g("invoke.delete", f"DELETE {SELF}/echo", app="/OnInvoke", app_count=1),
        _g("invoke.fail", f"POST {SELF}/fail", "x", app="/OnInvoke", app_count=1),
        _g("invoke.not-found", f"GET {SELF}/status/5", app="/OnInvoke", app_count=1),
        _g("invoke.unimplemented", f"GET {SELF}/status/12", app="/OnInvoke", app_count=1),
        _g("invoke.unavailable", f"GET {SELF}/status/14", app="/OnInvoke", app_count=1),
        _g(
            "invoke.header-form",
            "POST /some/path?q=1",
            "body",
            headers={"dapr-app-id": "parity-grpc"},
            app="/OnInvoke",
            app_count=1,
        ),
    ]


def _publish() -> list[Exchange]:
    routed = {
        "specversion": "1.0",
        "id": "r-1",
        "source": "me",
        "type": "routed",
        "data": {"x": 1},
        "datacontenttype": "application/json",
    }
    ce_headers = {"content-type": "application/cloudevents+json"}
    return [
        _g("publish.json", f"POST {P}/grpc-orders", {"o": 1}, headers=JSON_HEADERS,
           app="/OnTopicEvent", app_count=1),
        _g("publish.text", f"POST {P}/grpc-orders", "plain words", app="/OnTopicEvent",
           app_count=1),
        _g("publish.octet-stream", f"POST {P}/grpc-orders", "bytes",
           headers={"content-type": "application/octet-stream"}, app="/OnTopicEvent",
           app_count=1),
        _g("publish.metadata", f"POST {P}/grpc-orders?metadata.custom=v", {"o": 2},
           headers=JSON_HEADERS, app="/OnTopicEvent", app_count=1),
        _g("publish.routed", f"POST {P}/grpc-routed", routed, headers=ce_headers,
           app="/OnTopicEvent", app_count=1),
        _g("publish.fallback", f"POST {P}/grpc-routed", {**routed, "id": "r-2", "type": "other"},
           headers=ce_headers, app="/OnTopicEvent", app_count=1),
    ]  # fmt: skip


def _jobs() -> list[Exchange]:
    jobs = "/v1.0/jobs"
    return [
        _g("job.data", f"POST {jobs}/gj1", {"dueTime": "0s", "data": {"b": 1, "a": "x"}},
           app="/OnJobEvent", app_count=1),
        _g("job.string-data", f"POST {jobs}/gj2", {"dueTime": "0s", "data": "text"},
           app="/OnJobEvent", app_count=1),
        _g("job.no-data", f"POST {jobs}/gj3", {"dueTime": "0s"}, app="/OnJobEvent",
           app_count=1),
    ]  # fmt: skip


EXCHANGES = _invoke() + _publish() + _jobs()
