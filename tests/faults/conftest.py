"""Show the fault counts in the terminal summary (tests record them as user properties)."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == "fault_summary":
                    terminalreporter.write_line(f"{report.nodeid} [{outcome}]: {value}")
