from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from sidecar._runner import free_port

from ..parity._runtimes import real_dapr
from ._procs import Process, ProcessFailed


def test_a_failed_wait_shows_the_process_output(tmp_path: Path) -> None:
    code = "print('listening nowhere', flush=True); raise SystemExit(3)"
    proc = Process("dies", [sys.executable, "-c", code], tmp_path / "dies.log").start()
    with proc, pytest.raises(ProcessFailed, match="listening nowhere"):
        proc.wait_http(f"http://127.0.0.1:{free_port()}/healthz", timeout=30)


def test_a_wait_that_times_out_names_the_url(tmp_path: Path) -> None:
    code = "import time; print('sleeping', flush=True); time.sleep(60)"
    proc = Process("sleeper", [sys.executable, "-c", code], tmp_path / "s.log").start()
    with proc, pytest.raises(ProcessFailed, match=r"did not answer[\s\S]*sleeping"):
        proc.wait_http(f"http://127.0.0.1:{free_port()}/healthz", timeout=0.5)
    assert proc.proc is not None and proc.proc.poll() is not None  # stopped by its group


@pytest.mark.daprd
def test_placement_scheduler_and_daprd_start_and_stop(tmp_path: Path) -> None:
    with real_dapr(tmp_path) as targets:
        main = targets["main"]
        metadata = httpx.get(f"{main.api}/v1.0/metadata", timeout=10).json()
        assert metadata["id"] == "parity"
        assert metadata["actorRuntime"]["placement"] == "placement: connected"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{main.api}/v1.0/healthz", timeout=2)
