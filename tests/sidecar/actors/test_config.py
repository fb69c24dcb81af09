"""Parsing the app's /dapr/config answer, including the replace-not-merge rule."""

from __future__ import annotations

import pytest

from sidecar.actors._app_config import ActorConfigError, TypeConfig, parse_app_config

SDK_ANSWER = {
    "actorIdleTimeout": "0h0m5s0ms0\u03bcs",
    "actorScanInterval": "0h0m30s0ms0\u03bcs",
    "drainRebalancedActors": True,
    "reentrancy": {"enabled": True, "maxStackDepth": 8},
    "entitiesConfig": [
        {"entities": ["B"], "reentrancy": {"enabled": True}},
        {"entities": ["C"], "actorIdleTimeout": "10s"},
        {"entities": ["Stranger"], "actorIdleTimeout": "1s"},
    ],
    "entities": ["A", "B", "C"],
}


def test_top_level_applies_to_unlisted_types() -> None:
    config = parse_app_config(SDK_ANSWER)
    assert config.entities == ["A", "B", "C"]
    assert config.of("A") == TypeConfig(idle_timeout=5.0, reentrant=True, max_stack_depth=8)


def test_entities_config_replaces_instead_of_merging() -> None:
    config = parse_app_config(SDK_ANSWER)
    assert config.of("B") == TypeConfig(idle_timeout=3600.0, reentrant=True, max_stack_depth=32)
    assert config.of("C") == TypeConfig(idle_timeout=10.0, reentrant=False)
    assert "Stranger" not in config.types


@pytest.mark.parametrize("raw", [None, [], "x", {}])
def test_no_config_means_no_types(raw: object) -> None:
    assert parse_app_config(raw).entities == []


def test_bad_top_level_duration_registers_nothing() -> None:
    with pytest.raises(ActorConfigError):
        parse_app_config({"entities": ["A"], "actorIdleTimeout": "soon"})
