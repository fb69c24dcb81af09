"""Sidecar settings read from the environment."""

from __future__ import annotations

import pytest

from sidecar._config import default_sync


@pytest.mark.parametrize(
    ("value", "mode"), [(None, "NORMAL"), ("full", "FULL"), ("Normal", "NORMAL")]
)
def test_job_store_sync_mode(value: str | None, mode: str) -> None:
    assert default_sync({} if value is None else {"SIDECAR_SYNC": value}) == mode


def test_unknown_sync_mode_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="SIDECAR_SYNC must be normal or full, not 'off'"):
        default_sync({"SIDECAR_SYNC": "off"})
