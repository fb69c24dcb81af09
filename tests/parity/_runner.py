"""Send the catalogue's exchanges to a runtime and observe: the answer, and what the app got."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import grpc
import httpx

from ._grpc import GrpcExchange
from ._grpc import call as grpc_call
from ._model import Exchange, expand
from ._normalise import FRAMING_HEADERS, VOLATILE_RESPONSE_HEADERS, Scope, normalise, sort_unordered

DELIVERY_TIMEOUT = 20.0


class Target(NamedTuple):
    """One sidecar's HTTP API, the recorder app behind it, and its gRPC API (``host:port``)."""

    api: str
    app: str
    grpc: str = ""


def initial_context(now: datetime | None = None) -> dict[str, str]:
    """Values a run generates: absolute times two hours (a day) from now, and an hour ago.
    None may equal an instant the runtime computes (a TTL of 60 s or 1 h from now)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)

    def rfc3339(delta: timedelta) -> str:
        return (now + delta).isoformat().replace("+00:00", "Z")

    return {
        "future": rfc3339(timedelta(hours=2)),
        "future_day": rfc3339(timedelta(days=1)),
        "past": rfc3339(timedelta(hours=-1)),
    }


def _decode(raw: bytes) -> dict[str, Any]:
    """``body`` when the bytes are JSON (``newline`` when one follows it), else ``text``."""
    if not raw:
        return {}
    text = raw.decode(errors="replace")
    try:
        out: dict[str, Any] = {"body": json.loads(text)}
    except ValueError:
        return {"text": text}
    if text.endswith("\n"):
        out["newline"] = True
    return out


def observe_response(resp: httpx.Response, unordered: bool) -> dict[str, Any]:
    headers = {
        k.lower(): v for k, v in resp.headers.items() if k.lower() not in VOLATILE_RESPONSE_HEADERS
    }
    out: dict[str, Any] = {"status": resp.status_code, "headers": dict(sorted(headers.items()))}
    out |= _decode(resp.content)
    if unordered and isinstance(out.get("body"), list):
        out["body"] = sort_unordered(out["body"])
    return out


def observe_app_request(record: Mapping[str, Any]) -> dict[str, Any]:
    headers = {k: v for k, v in record["headers"].items() if k not in FRAMING_HEADERS}
    out: dict[str, Any] = {"method": record["method"], "path": record["path"]}
    out["headers"] = dict(sorted(headers.items()))
    return out | _decode(record["body"].encode())


def _recorded(client: httpx.Client, app: str, after: int) -> tuple[int, list[dict[str, Any]]]:
    answer = client.get(f"{app}/_recorded", params={"after": after}).json()
    return answer["total"], answer["records"]


def _app_received(
    client: httpx.Client, app: str, mark: int, ex: Exchange | GrpcExchange
) -> list[dict[str, Any]]:
    """The app's requests since ``mark`` on ``ex.app``; waits for ``ex.app_count`` of them."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while True:
        _, records = _recorded(client, app, mark)
        found = [r for r in records if r["path"].startswith(ex.app or "")]
        if len(found) >= ex.app_count:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{ex.id}: app got {len(found)} of {ex.app_count} on {ex.app}")
        time.sleep(0.05)
    observed = [observe_app_request(r) for r in found]
    return sort_unordered(observed) if ex.app_unordered else observed


def _capture(ex: Exchange, resp: httpx.Response, context: dict[str, str]) -> None:
    for name, source in ex.capture.items():
        kind, _, key = source.partition(":")
        value = resp.headers.get(key) if kind == "header" else resp.json().get(key)
        if value is None:
            raise AssertionError(f"{ex.id}: nothing to capture from {source}: {resp.text}")
        context[name] = str(value)


def run_exchange(
    client: httpx.Client, targets: Mapping[str, Target], ex: Exchange, context: dict[str, str]
) -> dict[str, Any]:
    """Send ``ex`` and return the raw observation (not yet normalised)."""
    target, app = targets[ex.runtime], targets[ex.app_runtime or ex.runtime].app
    mark = _recorded(client, app, 10**9)[0] if ex.app is not None else 0
    body = ex.body_text()
    resp = client.request(
        ex.method,
        target.api + expand(ex.path, context),
        content=None if body is None else expand(body, context).encode(),
        headers={k: expand(v, context) for k, v in ex.headers.items()},
    )
    observed: dict[str, Any] = {"request": ex.describe()}
    observed["response"] = observe_response(resp, ex.unordered_body)
    if ex.app is not None:
        observed["app"] = _app_received(client, app, mark, ex)
    _capture(ex, resp, context)
    return observed


def run_grpc_exchange(
    client: httpx.Client,
    targets: Mapping[str, Target],
    ex: GrpcExchange,
    context: dict[str, str],
    channels: dict[str, grpc.Channel],
) -> dict[str, Any]:
    """Call ``ex`` over gRPC and return the raw observation (not yet normalised)."""
    target, app = targets[ex.runtime], targets[ex.app_runtime or ex.runtime].app
    mark = _recorded(client, app, 10**9)[0] if ex.app is not None else 0
    if ex.runtime not in channels:
        channels[ex.runtime] = grpc.insecure_channel(target.grpc)
    observed: dict[str, Any] = {"request": ex.describe()}
    observed["response"] = grpc_call(channels[ex.runtime], ex, context)
    if ex.app is not None:
        observed["app"] = _app_received(client, app, mark, ex)
    return observed


def run_group(
    client: httpx.Client,
    targets: Mapping[str, Target],
    exchanges: Sequence[Exchange | GrpcExchange],
) -> dict[str, dict[str, Any]]:
    """Every exchange of one group, in order, normalised; keyed by exchange id."""
    context = initial_context()
    scope = Scope(generated=dict(context))
    out: dict[str, dict[str, Any]] = {}
    channels: dict[str, grpc.Channel] = {}
    try:
        for ex in exchanges:
            if ex.id in out:
                raise ValueError(f"exchange id {ex.id} used twice")
            if isinstance(ex, GrpcExchange):
                observed = run_grpc_exchange(client, targets, ex, context, channels)
            else:
                observed = run_exchange(client, targets, ex, context)
            out[ex.id] = normalise(observed, scope)
    finally:
        for channel in channels.values():
            channel.close()
    return out
