"""The guard on its own, as a real process: what it reports, how it stops an app, how it exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sidecar._guarded import GUARD

pytestmark = pytest.mark.integration
IGNORES_TERM = "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " + (
    "print('armed', flush=True); time.sleep(60)"
)


@dataclass
class Guarded:
    proc: subprocess.Popen[bytes]
    report: str  # the line the guard wrote on its report pipe

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out.decode(), err.decode()


@pytest.fixture
def guards() -> Iterator[list[Guarded]]:
    started: list[Guarded] = []
    yield started
    for guarded in started:
        if guarded.proc.poll() is None:
            guarded.proc.kill()
        guarded.proc.communicate()


def start(guards: list[Guarded], *command: str, parent: int = 0, grace: float = 5.0) -> Guarded:
    """The guard running ``command``, with this test process as its runner (or ``parent``)."""
    read, write = os.pipe()
    args = [sys.executable, "-I", str(GUARD), "--parent", str(parent or os.getpid())]
    args += ["--grace", str(grace), "--report", str(write), "--", *command]
    proc = subprocess.Popen(args, pass_fds=(write,), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(write)
    with os.fdopen(read) as report:
        guarded = Guarded(proc, report.readline().strip())
    guards.append(guarded)
    return guarded


def test_reports_the_app_pid_and_exits_with_its_code(guards: list[Guarded]) -> None:
    guarded = start(guards, sys.executable, "-c", "import os; print(os.getpid()); exit(7)")
    code, out, _ = guarded.finish()
    assert (code, out.strip()) == (7, guarded.report)


def test_an_app_killed_by_a_signal_makes_the_guard_die_of_it_too(guards: list[Guarded]) -> None:
    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    code, _, _ = start(guards, sys.executable, "-c", kill_self).finish()
    assert code == -signal.SIGKILL


def test_sigterm_is_followed_by_sigkill_after_the_grace_period(guards: list[Guarded]) -> None:
    guarded = start(guards, sys.executable, "-c", IGNORES_TERM, grace=0.5)
    assert guarded.proc.stdout is not None
    assert guarded.proc.stdout.readline() == b"armed\n"  # the app ignores SIGTERM from here on
    guarded.proc.send_signal(signal.SIGTERM)
    code, _, err = guarded.finish()
    assert code == -signal.SIGKILL
    assert "app did not stop within 0.5s; killing it" in err


def test_a_command_that_cannot_start_is_reported(guards: list[Guarded]) -> None:
    guarded = start(guards, "/nonexistent/program")
    assert guarded.finish()[0] == 127
    assert guarded.report.startswith("error: ") and "No such file" in guarded.report


def test_a_runner_already_gone_means_the_app_is_never_started(guards: list[Guarded]) -> None:
    guarded = start(guards, sys.executable, "-c", "print('started')", parent=1)
    code, out, _ = guarded.finish()
    assert (code, out, guarded.report) == (1, "", "error: the runner is gone")
