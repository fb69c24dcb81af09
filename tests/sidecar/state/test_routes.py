"""The state HTTP API against a stub sidecar, in-process: status codes, errorCodes and bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from sidecar.api.state import go_marshal, routes
from sidecar.clock import ManualClock
from sidecar.dapr_errors import DaprError
from sidecar.services import Identity
from sidecar.state import InMemoryStateStore, StateStore, StoreFailedError
from sidecar.web import json_response

START = 1_800_000_000.0


@dataclass
class _Sidecar:
    """The services the state routes read (part of ``ApiServices``)."""

    state_stores: dict[str, StateStore] = field(default_factory=dict)
    identity: Identity = Identity("app", "default", "app:1")
    outbox: None = None


async def _dapr_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DaprError)
    return json_response(exc.body(), exc.status)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sidecar(clock: ManualClock) -> _Sidecar:
    return _Sidecar({"s": InMemoryStateStore("s", clock)})


@pytest.fixture
async def client(sidecar: _Sidecar) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=routes, exception_handlers={DaprError: _dapr_error})
    app.state.services = sidecar
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://d") as http:
        yield http


def _raw(sidecar: _Sidecar, key: str) -> bytes | None:
    store = sidecar.state_stores["s"]
    assert isinstance(store, InMemoryStateStore)
    item = store._rows.get(key)
    return item.value if item else None


async def test_save_get_delete_round_trip(client: httpx.AsyncClient, sidecar: _Sidecar) -> None:
    body = [{"key": "k", "value": {"b": 1.0, "a": "<x>"}}]
    assert (await client.post("/v1.0/state/s", json=body)).status_code == 204
    assert _raw(sidecar, "app||k") == b'{"a":"\\u003cx\\u003e","b":1}'
    got = await client.get("/v1.0/state/s/k")
    assert got.status_code == 200
    assert got.content == b'{"a":"\\u003cx\\u003e","b":1}'
    assert got.headers["content-type"] == "application/json"
    assert got.headers["etag"]
    assert "metadata.ttlExpireTime" not in got.headers
    assert (await client.delete("/v1.0/state/s/k")).status_code == 204
    missing = await client.get("/v1.0/state/s/k")
    assert (missing.status_code, missing.content) == (204, b"")


async def test_ttl_from_item_or_query(client: httpx.AsyncClient, clock: ManualClock) -> None:
    await client.post(
        "/v1.0/state/s", json=[{"key": "a", "value": 1, "metadata": {"ttlInSeconds": "5"}}]
    )
    await client.post("/v1.0/state/s?metadata.ttlInSeconds=10", json=[{"key": "b", "value": 2}])
    got = await client.get("/v1.0/state/s/a")
    assert got.headers["metadata.ttlExpireTime"] == "2027-01-15T08:00:05Z"
    clock.advance(6)
    assert (await client.get("/v1.0/state/s/a")).status_code == 204
    assert (await client.get("/v1.0/state/s/b")).status_code == 200


async def test_etag_concurrency_over_http(client: httpx.AsyncClient) -> None:
    await client.post("/v1.0/state/s", json=[{"key": "k", "value": 1}])
    etag = (await client.get("/v1.0/state/s/k")).headers["etag"]
    stale = await client.post("/v1.0/state/s", json=[{"key": "k", "value": 2, "etag": "nope"}])
    assert stale.status_code == 409
    assert stale.json()["errorCode"] == "ERR_STATE_SAVE"
    assert stale.json()["message"].startswith(
        "failed saving state in state store s: possible etag mismatch. error from state store: "
        "state etag not match for key=app||k"
    )
    ok = await client.post("/v1.0/state/s", json=[{"key": "k", "value": 2, "etag": etag}])
    assert ok.status_code == 204
    first = [{"key": "k", "value": 3, "options": {"concurrency": "first-write"}}]
    assert (await client.post("/v1.0/state/s", json=first)).status_code == 409
    delete = await client.delete("/v1.0/state/s/k", headers={"If-Match": etag})
    assert delete.status_code == 409
    assert delete.json()["errorCode"] == "ERR_STATE_DELETE"
    assert delete.json()["message"].startswith("failed deleting state with key k: possible etag")


async def test_multi_item_save_refused_changes_nothing(
    client: httpx.AsyncClient, sidecar: _Sidecar
) -> None:
    body = [{"key": "a", "value": 1}, {"key": "b", "value": 2, "etag": "x"}]
    resp = await client.post("/v1.0/state/s", json=body)
    assert resp.status_code == 409
    assert resp.json()["message"] == (
        "failed saving state in state store s: possible etag mismatch. error from state store: "
        "possible etag mismatch. error from state store: state not exist or expired for key=app||b"
    )
    assert _raw(sidecar, "app||a") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "EOF"),
        (b"{}", "json: cannot unmarshal object into Go value of type []state.SetRequest"),
        (b"[{", "unexpected EOF"),
        (b"[x]", "invalid character 'x' looking for beginning of value"),
        (
            b'[{"key":1}]',
            "json: cannot unmarshal number into Go struct field SetRequest.key of type string",
        ),
        (
            b'[{"key":"k","options":{"concurrency":true}}]',
            "json: cannot unmarshal bool into Go struct field SetStateOption.options.Concurrency"
            " of type string",
        ),
        (b'[{"value":1}]', '"key" is a required field'),
    ],
)
async def test_save_malformed(client: httpx.AsyncClient, body: bytes, message: str) -> None:
    resp = await client.post("/v1.0/state/s", content=body)
    assert resp.status_code == 400
    assert resp.json() == {"errorCode": "ERR_MALFORMED_REQUEST", "message": message}


@pytest.mark.parametrize("body", [b"[]", b"null", b"[] trailing"])
async def test_empty_save_is_204(client: httpx.AsyncClient, body: bytes) -> None:
    assert (await client.put("/v1.0/state/s", content=body)).status_code == 204


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"metadata": {"ttlInSeconds": "abc"}}, 'strconv.Atoi: parsing "abc": invalid syntax'),
        ({"options": {"consistency": "x"}}, "unrecognized consistency model 'x'"),
        ({"options": {"concurrency": "y"}}, "unrecognized concurrency model 'y'"),
    ],
)
async def test_save_store_refusals_are_500(
    client: httpx.AsyncClient, sidecar: _Sidecar, item: dict[str, Any], message: str
) -> None:
    resp = await client.post("/v1.0/state/s", json=[{"key": "k", "value": 1, **item}])
    assert resp.status_code == 500
    assert resp.json() == {
        "errorCode": "ERR_STATE_SAVE",
        "message": f"failed saving state in state store s: {message}",
    }
    assert _raw(sidecar, "app||k") is None


async def test_illegal_key_is_a_kit_error(client: httpx.AsyncClient) -> None:
    resp = await client.get("/v1.0/state/s/a||b")
    message = (
        "api error: code = InvalidArgument desc = input key/keyPrefix 'a||b' can't contain '||'"
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "errorCode": "ERR_MALFORMED_REQUEST",
        "message": message,
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "field_violations": [{"field": "a||b", "description": message}],
            },
            {
                "@type": "type.googleapis.com/google.rpc.ResourceInfo",
                "description": "",
                "owner": "",
                "resource_name": "s",
                "resource_type": "state",
            },
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "domain": "dapr.io",
                "metadata": None,
                "reason": "DAPR_STATE_ILLEGAL_KEY",
            },
        ],
    }
    saved = await client.post("/v1.0/state/s", json=[{"key": "a||b", "value": 1}])
    assert saved.status_code == 400


async def test_unknown_store(client: httpx.AsyncClient) -> None:
    resp = await client.get("/v1.0/state/other/k")
    assert resp.status_code == 400
    assert resp.json() == {
        "errorCode": "ERR_STATE_STORE_NOT_FOUND",
        "message": "state store other is not found",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "domain": "dapr.io",
                "metadata": {"appID": "app"},
                "reason": "DAPR_STATE_NOT_FOUND",
            }
        ],
    }


async def test_no_store_configured(client: httpx.AsyncClient, sidecar: _Sidecar) -> None:
    sidecar.state_stores.clear()
    resp = await client.post("/v1.0/state/s/transaction", json={})
    assert resp.status_code == 500
    assert resp.json()["errorCode"] == "ERR_STATE_STORE_NOT_CONFIGURED"
    assert resp.json()["message"] == "state store s is not configured"


async def test_bulk_get(client: httpx.AsyncClient) -> None:
    await client.post(
        "/v1.0/state/s", json=[{"key": "a", "value": {"x": 1}}, {"key": "b", "value": "t"}]
    )
    resp = await client.post("/v1.0/state/s/bulk", json={"keys": ["a", "missing", "b"]})
    assert resp.status_code == 200
    assert resp.content.endswith(b"]\n")
    entries = resp.json()
    assert [e["key"] for e in entries] == ["a", "missing", "b"]
    assert entries[0]["data"] == {"x": 1} and entries[0]["etag"]
    assert entries[1] == {"key": "missing"}
    assert entries[2]["data"] == "t"
    empty = await client.post("/v1.0/state/s/bulk", json={"keys": []})
    assert empty.content == b"[]\n"
    bad = await client.post("/v1.0/state/s/bulk", content=b"[]")
    assert bad.json() == {
        "errorCode": "ERR_MALFORMED_REQUEST",
        "message": "failed deserializing HTTP body: json: cannot unmarshal array into Go value of"
        " type http.BulkGetRequest",
    }


async def test_transaction(client: httpx.AsyncClient, sidecar: _Sidecar) -> None:
    await client.post("/v1.0/state/s", json=[{"key": "gone", "value": 0}])
    ops = {
        "operations": [
            {"operation": "upsert", "request": {"key": "a", "value": [1, 2.5]}},
            {"operation": "delete", "request": {"key": "gone"}},
        ]
    }
    assert (await client.post("/v1.0/state/s/transaction", json=ops)).status_code == 204
    assert _raw(sidecar, "app||a") == b"[1,2.5]"
    assert _raw(sidecar, "app||gone") is None


async def test_transaction_etag_mismatch_is_500_and_atomic(
    client: httpx.AsyncClient, sidecar: _Sidecar
) -> None:
    ops = {
        "operations": [
            {"operation": "upsert", "request": {"key": "a", "value": 1}},
            {"operation": "upsert", "request": {"key": "b", "value": 1, "etag": "x"}},
        ]
    }
    resp = await client.post("/v1.0/state/s/transaction", json=ops)
    assert resp.status_code == 500
    assert resp.json()["errorCode"] == "ERR_STATE_TRANSACTION"
    assert resp.json()["message"].startswith(
        "error while executing state transaction: possible etag mismatch"
    )
    assert _raw(sidecar, "app||a") is None


@pytest.mark.parametrize(
    ("ops", "status", "code", "message"),
    [
        (
            [{"operation": "merge", "request": {"key": "a"}}],
            400,
            "ERR_NOT_SUPPORTED_STATE_OPERATION",
            "operation type merge not supported",
        ),
        (
            [{"operation": "upsert", "request": {"key": 5, "metadata": {"ttlInSeconds": 60}}}],
            400,
            "ERR_MALFORMED_REQUEST",
            "failed deserializing HTTP body: 2 error(s) decoding:\n\n"
            "* 'Key' expected type 'string', got unconvertible type 'float64', value: '5'\n"
            "* 'Metadata[ttlInSeconds]' expected type 'string', got unconvertible type 'float64',"
            " value: '60'",
        ),
        (
            [{"operation": "upsert", "request": "k"}],
            400,
            "ERR_MALFORMED_REQUEST",
            "failed deserializing HTTP body: 1 error(s) decoding:\n\n"
            "* '' expected a map, got 'string'",
        ),
        (
            [{"operation": "upsert", "request": {"key": "a", "metadata": {"ttlInSeconds": "x"}}}],
            500,
            "ERR_STATE_TRANSACTION",
            'error while executing state transaction: strconv.Atoi: parsing "x": invalid syntax',
        ),
    ],
)
async def test_transaction_refusals(
    client: httpx.AsyncClient, ops: list[Any], status: int, code: str, message: str
) -> None:
    good = {"operation": "upsert", "request": {"key": "first", "value": 1}}
    resp = await client.post("/v1.0/state/s/transaction", json={"operations": [good, *ops]})
    assert (resp.status_code, resp.json()) == (status, {"errorCode": code, "message": message})
    assert (await client.get("/v1.0/state/s/first")).status_code == 204


@pytest.mark.parametrize(
    ("prefix", "stored"),
    [
        ("appid", "app||k"),
        ("name", "s||k"),
        ("none", "k"),
        ("namespace", "app||k"),
        ("acme", "acme||k"),
    ],
)
async def test_key_prefix_strategies(
    client: httpx.AsyncClient, sidecar: _Sidecar, prefix: str, stored: str
) -> None:
    sidecar.state_stores["s"].key_prefix = prefix
    await client.post("/v1.0/state/s", json=[{"key": "k", "value": 1}])
    assert _raw(sidecar, stored) == b"1"
    bulk = await client.post("/v1.0/state/s/bulk", json={"keys": ["k"]})
    assert bulk.json()[0]["key"] == "k"


async def test_keys_are_query_unescaped(client: httpx.AsyncClient, sidecar: _Sidecar) -> None:
    await client.post("/v1.0/state/s", json=[{"key": "a b/c", "value": 1}])
    assert (await client.get("/v1.0/state/s/a+b%2Fc")).status_code == 200


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (1e21, b"1e+21"),
        (1e-7, b"1e-7"),
        (123456789.0, b"123456789"),
        (0.1, b"0.1"),
        ("\u2028&", b'"\\u2028\\u0026"'),
        (None, b"null"),
    ],
)
def test_values_are_reserialised_as_go_does(value: Any, stored: bytes) -> None:
    assert go_marshal(json.loads(json.dumps(value))) == stored


async def test_null_metadata_values_are_empty_strings(client: httpx.AsyncClient) -> None:
    body = [{"key": "k", "value": 1, "metadata": {"ttlInSeconds": None}}]
    assert (await client.post("/v1.0/state/s", json=body)).status_code == 204


class _Broken(InMemoryStateStore):
    """A store whose backend fails (a database error) or that has a bug (a TypeError)."""

    def __init__(self, clock: ManualClock, exc: Exception) -> None:
        super().__init__("s", clock)
        self.exc = exc

    async def get(self, key: str) -> Any:
        raise self.exc


async def test_backend_failure_is_err_state_get_but_a_bug_is_not_disguised(
    clock: ManualClock, tmp_path: Path
) -> None:
    import sqlite3

    from sidecar.state import SqliteStateStore

    async with SqliteStateStore("s", str(tmp_path / "s.db"), clock) as failing:
        with sqlite3.connect(tmp_path / "s.db") as other:
            other.execute("DROP TABLE state")  # the database fails under the store
        other.close()
        with pytest.raises(StoreFailedError, match="OperationalError: no such table: state"):
            await failing.get("k")
    app = Starlette(routes=routes, exception_handlers={DaprError: _dapr_error})
    app.state.services = _Sidecar({"s": _Broken(clock, StoreFailedError("disk I/O error"))})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as c:
        r = await c.get("/v1.0/state/s/k")
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_STATE_GET")
    app.state.services = _Sidecar({"s": _Broken(clock, TypeError("a bug"))})
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://d") as c:
        with pytest.raises(TypeError, match="a bug"):  # reaches the app's handler for bugs
            await c.get("/v1.0/state/s/k")
