"""Every server keeps an idle connection open longer than the clients that reach it keep theirs.

With equal idle times (uvicorn's default 5 s against httpx's and aiohttp's 5 s) the client may
write its next request into a connection the server is closing at that instant and read an EOF
instead of the answer (``httpx.ReadError`` on a POST, which no client retries): it happened
under load in the two-checkouts integration test.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from appkit import http_client, serve
from sidecar import _http_server, app_channel

HTTPX_IDLE = httpx.Limits().keepalive_expiry or 0.0


def test_the_apps_servers_outlast_every_client_that_reaches_them() -> None:
    clients = {"httpx": HTTPX_IDLE, "sidecar app channel": app_channel.KEEPALIVE_SECONDS}
    for name, idle in clients.items():
        assert idle < serve.KEEPALIVE_SECONDS, name


def test_the_sidecars_server_outlasts_every_client_that_reaches_it() -> None:
    clients = {"httpx": HTTPX_IDLE, "apps' pooled client": http_client.KEEPALIVE_SECONDS}
    for name, idle in clients.items():
        assert idle < _http_server.KEEPALIVE_SECONDS, name
    config = _http_server.server(object(), graceful_seconds=1).config
    assert config.timeout_keep_alive == _http_server.KEEPALIVE_SECONDS


def test_serve_passes_the_keep_alive_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **kw: seen.update(kw))
    serve.serve(object(), "127.0.0.1", 1)
    assert seen["timeout_keep_alive"] == serve.KEEPALIVE_SECONDS
    assert seen["access_log"] is False
