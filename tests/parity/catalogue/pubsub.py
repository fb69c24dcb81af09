"""Publish and bulk publish on ``pubsub`` (pubsub.in-memory); app ``parity`` subscribes to
``orders``, ``bulk`` and (bulk subscription) ``bulksub``, so each delivery is recorded
(dapr-sidecar.md §5)."""

from __future__ import annotations

from .._model import JSON_HEADERS, TRACEPARENT, Exchange, x

P = "/v1.0/publish/pubsub"
BULK = "/v1.0-alpha1/publish/bulk/pubsub"


def _publish() -> list[Exchange]:
    def to_orders(case: str, body: object, path: str = f"{P}/orders", **kw: object) -> Exchange:
        return x(
            f"pubsub.publish.{case}", f"POST {path}", body, app="/events/orders", app_count=1, **kw
        )  # type: ignore[arg-type]

    return [
        to_orders("json", {"o": 1}, headers=JSON_HEADERS),
        to_orders("text", "plain words"),
        to_orders("no-content-type-json", '{"looks":"json"}'),
        to_orders("octet-stream", "bytes", headers={"content-type": "application/octet-stream"}),
        to_orders("json-suffix", '{"a":1}', headers={"content-type": "application/vnd+json"}),
        to_orders(
            "cloudevent",
            {
                "specversion": "1.0",
                "id": "my-id",
                "source": "me",
                "type": "t",
                "data": {"x": 1},
                "datacontenttype": "application/json",
            },
            headers={"content-type": "application/cloudevents+json"},
        ),
        to_orders("raw-payload", '{"raw":1}', path=f"{P}/orders?metadata.rawPayload=true"),
        to_orders("traceparent", {"t": 1}, headers={**JSON_HEADERS, "traceparent": TRACEPARENT}),
        to_orders(
            "ttl", {"t": 2}, path=f"{P}/orders?metadata.ttlInSeconds=60", headers=JSON_HEADERS
        ),
        to_orders(
            "overrides",
            {"t": 3},
            path=f"{P}/orders?metadata.cloudevent.id=fixed&metadata.cloudevent.type=my.type",
            headers=JSON_HEADERS,
        ),
        x("pubsub.publish.no-subscriber", f"POST {P}/nobody-listens", {"x": 1}),
        x("pubsub.publish.unknown-pubsub", "POST /v1.0/publish/nope/orders", {"x": 1}),
        x(
            "pubsub.publish.bad-cloudevent",
            f"POST {P}/orders",
            "not json",
            headers={"content-type": "application/cloudevents+json"},
        ),
        x("pubsub.publish.bad-ttl", f"POST {P}/orders?metadata.ttlInSeconds=soon", {"x": 1}),
    ]


def _bulk() -> list[Exchange]:
    entries = [
        {"entryId": "1", "event": {"a": 1}, "contentType": "application/json"},
        {"entryId": "2", "event": "txt", "contentType": "text/plain"},
    ]
    return [
        x(
            "pubsub.bulk.two",
            f"POST {BULK}/bulk",
            entries,
            app="/events/bulk",
            app_count=2,
            app_unordered=True,
        ),
        x(
            "pubsub.bulk.v1",
            "POST /v1.0/publish/bulk/pubsub/bulk",
            entries[:1],
            app="/events/bulk",
            app_count=1,
        ),
        x(
            "pubsub.bulk.duplicate-ids",
            f"POST {BULK}/bulk",
            [{"entryId": "1", "event": 1}, {"entryId": "1", "event": 2}],
        ),
        x("pubsub.bulk.missing-id", f"POST {BULK}/bulk", [{"event": 1}]),
        x(
            "pubsub.bulk.mismatch",
            f"POST {BULK}/bulk",
            [{"entryId": "1", "event": {"a": 1}}, {"entryId": "2", "event": "x"}],
        ),
        x("pubsub.bulk.not-array", f"POST {BULK}/bulk", {"entryId": "1"}),
        x("pubsub.bulk.empty", f"POST {BULK}/bulk", []),
        x("pubsub.bulk.unknown-pubsub", "POST /v1.0-alpha1/publish/bulk/nope/bulk", entries),
    ]


def _bulk_subscribe() -> list[Exchange]:
    """What a bulk subscription's route receives: one envelope per message on in-memory."""

    def to_bulksub(case: str, body: object, query: str = "", **kw: object) -> Exchange:
        line = f"POST {P}/bulksub{query}"
        return x(
            f"pubsub.bulk-subscribe.{case}", line, body, app="/events/bulksub", app_count=1, **kw
        )  # type: ignore[arg-type]

    return [
        to_bulksub("json", {"o": 1}, "?metadata.k=v", headers=JSON_HEADERS),
        to_bulksub("text", "plain words"),
        to_bulksub("raw-payload", '{"raw":1}', "?metadata.rawPayload=true"),
    ]


EXCHANGES: list[Exchange] = [*_publish(), *_bulk(), *_bulk_subscribe()]
