"""State API on ``statestore`` (state.sqlite) and ``memstore`` (state.in-memory): save, get,
delete, bulk get, transactions, ETags and first-write, TTL metadata, key rules and errors
(dapr-sidecar.md §4.2)."""

from __future__ import annotations

from .._model import Exchange, x

S = "/v1.0/state/statestore"


def _crud(store: str, tag: str) -> list[Exchange]:
    base = f"/v1.0/state/{store}"
    return [
        x(f"state.{tag}.save", f"POST {base}", [{"key": "k1", "value": {"b": 1, "a": [1, 2.0]}}]),
        x(f"state.{tag}.get", f"GET {base}/k1", capture={f"{tag}_etag1": "header:etag"}),
        x(f"state.{tag}.get-missing", f"GET {base}/missing"),
        x(f"state.{tag}.save-string", f"PUT {base}", [{"key": "k2", "value": "text"}]),
        x(f"state.{tag}.get-string", f"GET {base}/k2"),
        x(
            f"state.{tag}.save-etag-ok",
            f"POST {base}",
            [{"key": "k1", "value": 2, "etag": f"${{{tag}_etag1}}"}],
        ),
        x(
            f"state.{tag}.save-etag-stale",
            f"POST {base}",
            [{"key": "k1", "value": 3, "etag": f"${{{tag}_etag1}}"}],
        ),
        x(f"state.{tag}.get-after-etag", f"GET {base}/k1", capture={f"{tag}_etag2": "header:etag"}),
        x(
            f"state.{tag}.save-etag-missing-key",
            f"POST {base}",
            [{"key": "nokey", "value": 1, "etag": "123"}],
        ),
        x(
            f"state.{tag}.first-write-new",
            f"POST {base}",
            [{"key": "fw", "value": 1, "options": {"concurrency": "first-write"}}],
        ),
        x(
            f"state.{tag}.first-write-again",
            f"POST {base}",
            [{"key": "fw", "value": 2, "options": {"concurrency": "first-write"}}],
        ),
        x(
            f"state.{tag}.delete-stale-etag",
            f"DELETE {base}/k1",
            headers={"if-match": f"${{{tag}_etag1}}"},
        ),
        x(
            f"state.{tag}.delete-etag",
            f"DELETE {base}/k1",
            headers={"if-match": f"${{{tag}_etag2}}"},
        ),
        x(f"state.{tag}.get-deleted", f"GET {base}/k1"),
        x(f"state.{tag}.delete-missing", f"DELETE {base}/never"),
        x(
            f"state.{tag}.bulk",
            f"POST {base}/bulk",
            {"keys": ["k2", "fw", "zz"]},
            unordered_body=True,
        ),
        x(f"state.{tag}.bulk-empty", f"POST {base}/bulk", {"keys": []}),
        x(
            f"state.{tag}.tx",
            f"POST {base}/transaction",
            {
                "operations": [
                    {"operation": "upsert", "request": {"key": "t1", "value": {"n": 1}}},
                    {"operation": "delete", "request": {"key": "k2"}},
                ]
            },
        ),
        x(f"state.{tag}.tx-get", f"GET {base}/t1"),
        x(f"state.{tag}.tx-deleted", f"GET {base}/k2"),
        x(
            f"state.{tag}.tx-etag-mismatch",
            f"POST {base}/transaction",
            {
                "operations": [
                    {"operation": "upsert", "request": {"key": "t1", "value": 2, "etag": "nope"}}
                ]
            },
        ),
        x(
            f"state.{tag}.tx-unknown-op",
            f"POST {base}/transaction",
            {"operations": [{"operation": "merge", "request": {"key": "t1"}}]},
        ),
        x(f"state.{tag}.tx-empty", f"POST {base}/transaction", {"operations": []}),
        x(
            f"state.{tag}.ttl-save",
            f"POST {base}?metadata.ttlInSeconds=3600",
            [{"key": "ttl", "value": 1}],
        ),
        x(f"state.{tag}.ttl-get", f"GET {base}/ttl"),
        x(
            f"state.{tag}.ttl-item-metadata",
            f"POST {base}",
            [{"key": "ttl2", "value": 1, "metadata": {"ttlInSeconds": "60"}}],
        ),
        x(f"state.{tag}.ttl-item-get", f"GET {base}/ttl2"),
    ]


def _errors() -> list[Exchange]:
    return [
        x("state.err.unknown-store-save", "POST /v1.0/state/nostore", [{"key": "a", "value": 1}]),
        x("state.err.unknown-store-get", "GET /v1.0/state/nostore/a"),
        x("state.err.unknown-store-delete", "DELETE /v1.0/state/nostore/a"),
        x("state.err.unknown-store-bulk", "POST /v1.0/state/nostore/bulk", {"keys": ["a"]}),
        x("state.err.unknown-store-tx", "POST /v1.0/state/nostore/transaction", {"operations": []}),
        x("state.err.not-json", f"POST {S}", "nojson"),
        x("state.err.truncated", f"POST {S}", '[{"key":"a"'),
        x("state.err.object-not-array", f"POST {S}", {"key": "a", "value": 1}),
        x("state.err.missing-key", f"POST {S}", [{"value": 1}]),
        x("state.err.empty-key", f"POST {S}", [{"key": "", "value": 1}]),
        x("state.err.key-not-string", f"POST {S}", [{"key": 5, "value": 1}]),
        x("state.err.pipes-in-key", f"POST {S}", [{"key": "a||b", "value": 1}]),
        x("state.err.pipes-in-key-get", f"GET {S}/a||b"),
        x(
            "state.err.bad-concurrency",
            f"POST {S}",
            [{"key": "a", "value": 1, "options": {"concurrency": "sometimes"}}],
        ),
        x(
            "state.err.bad-ttl",
            f"POST {S}",
            [{"key": "a", "value": 1, "metadata": {"ttlInSeconds": "soon"}}],
        ),
        x("state.err.empty-array", f"POST {S}", []),
        x("state.err.empty-body", f"POST {S}"),
        x("state.err.bulk-not-json", f"POST {S}/bulk", "{"),
        x("state.err.tx-not-json", f"POST {S}/transaction", "[1]"),
        x(
            "state.err.tx-missing-key",
            f"POST {S}/transaction",
            {"operations": [{"operation": "upsert", "request": {"value": 1}}]},
        ),
    ]


EXCHANGES: list[Exchange] = [
    *_crud("statestore", "sqlite"),
    *_crud("memstore", "memory"),
    *_errors(),
]
