"""The apps' shared HTTP edge exists twice (they may not import each other): one text."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_agent_and_notifier_edges_are_the_same_module() -> None:
    agent, notifier = (ROOT / app / "_edge.py" for app in ("agent", "notifier"))
    assert agent.read_text() == notifier.read_text(), "change both copies together"
