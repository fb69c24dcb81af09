"""The transactional outbox on ``outboxstore`` (state.in-memory publishing to ``orders`` on
``pubsub``, coordinating on ``outboxbus``): the CloudEvent app ``parity`` receives after each
transaction, what is stored, and the answer when the outbox pubsub is missing (``brokenbox``)."""

from __future__ import annotations

from .._model import TRACEPARENT, Exchange, x

T = "/v1.0/state/outboxstore/transaction"


def _upsert(key: str, value: object, **request: object) -> dict[str, object]:
    return {"operation": "upsert", "request": {"key": key, "value": value, **request}}


def _txn(
    case: str, *ops: dict[str, object], path: str = T, count: int = 1, **kw: object
) -> Exchange:
    body = {"operations": list(ops)}
    return x(f"outbox.{case}", f"POST {path}", body, app="/events/orders", app_count=count, **kw)  # type: ignore[arg-type]


EXCHANGES: list[Exchange] = [
    _txn("text", _upsert("k1", "v1")),
    _txn("object", _upsert("k2", {"a": 1, "b": [1.5, "x"], "big": 1000000, "t": True})),
    _txn("json-field", _upsert("k3", {"a": 1}, contentType="application/json")),
    _txn("json-metadata", _upsert("k3", {"a": 2}, metadata={"contentType": "application/json"})),
    _txn(
        "metadata",
        _upsert("k4", 5, metadata={"type": "t.x", "source": "src", "id": "no", "data": "no"}),
        path=f"{T}?metadata.q=1&metadata.cloudevent.subject=s",
    ),
    _txn(
        "projection",
        _upsert("k5", "stored"),
        _upsert("k5", "published", metadata={"outbox.projection": "true"}),
    ),
    x("outbox.projection-stored", "GET /v1.0/state/outboxstore/k5"),
    _txn("delete", {"operation": "delete", "request": {"key": "k1"}}, count=0),
    _txn("after-delete", _upsert("k6", "after")),
    _txn("traceparent", _upsert("k7", "t"), headers={"traceparent": TRACEPARENT}),
    _txn("etag-stale", _upsert("k7", "x", etag="999"), count=0),
    x("outbox.etag-stale-unchanged", "GET /v1.0/state/outboxstore/k7"),
    _txn("missing-pubsub", _upsert("k", "v"), path="/v1.0/state/brokenbox/transaction", count=0),
    x("outbox.missing-pubsub-unchanged", "GET /v1.0/state/brokenbox/k"),
]
