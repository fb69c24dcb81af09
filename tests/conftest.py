from __future__ import annotations

import pytest

from .realdapr._procs import missing_reason


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``daprd`` skip, saying why, when real Dapr is not installed."""
    reason = missing_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("daprd"):
            item.add_marker(pytest.mark.skip(reason=reason))
