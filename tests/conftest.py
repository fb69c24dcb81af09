from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .realdapr._procs import missing_reason

OUTBOUND_LOGGERS = ("httpx", "httpcore")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``daprd`` skip, saying why, when real Dapr is not installed."""
    reason = missing_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("daprd"):
            item.add_marker(pytest.mark.skip(reason=reason))


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
