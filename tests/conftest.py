from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ._servers import PostgresServer, RedisServer, postgres_missing, redis_missing
from .integration._daprd import stop_control_plane
from .integration._support import Runtime
from .realdapr._procs import missing_reason

OUTBOUND_LOGGERS = ("httpx", "httpcore")
INTEGRATION = Path(__file__).parent / "integration"  # the suite ``--runtime`` switches
LOCAL_ONLY = "local_only: needs the local runtime's extensions (dev clock), not run on daprd"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runtime",
        choices=("local", "dapr"),
        default="local",
        help="runtime of tests/integration: local (sidecar run) or dapr (real daprd)",
    )


def pytest_configure(config: pytest.Config) -> None:
    Runtime.name = config.getoption("runtime")


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_control_plane()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``daprd`` skip, saying why, when real Dapr is not installed; so does
    ``tests/integration`` under ``--runtime dapr``. Under it, ``local_only`` tests skip too."""
    reason = missing_reason()
    on_dapr = Runtime.name == "dapr"
    for item in items:
        needs_daprd = item.get_closest_marker("daprd") or (
            on_dapr and item.path.is_relative_to(INTEGRATION)
        )
        if reason is not None and needs_daprd:
            item.add_marker(pytest.mark.skip(reason=reason))
        elif on_dapr and (marker := item.get_closest_marker("local_only")):
            why = marker.args[0] if marker.args else ""
            item.add_marker(pytest.mark.skip(reason=f"{LOCAL_ONLY}: {why}".rstrip(": ")))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session (tests flush what they use); skips loudly without it."""
    if reason := redis_missing():
        pytest.skip(reason)
    with RedisServer(tmp_path_factory.mktemp("redis")).start() as server:
        server.wait_ready()
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the session; skips loudly without the binaries."""
    if reason := postgres_missing():
        pytest.skip(reason)
    with PostgresServer().start() as server:
        server.wait_ready()
        yield server


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests of an app's ``configure_logging``, which changes process-wide loggers."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in OUTBOUND_LOGGERS}
    yield
    root.handlers[:] = handlers
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert the apps' error shape ``{"errorCode", "message", "details"}``, the status and the
    code; answer the body."""
    body: dict[str, Any] = response.json()
    assert (response.status_code, set(body)) == (status, {"errorCode", "message", "details"}), body
    assert body["errorCode"] == code, body
    return body
