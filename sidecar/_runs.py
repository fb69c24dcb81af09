"""The runs of ``sidecar run`` on this machine, for ``sidecar list`` and ``sidecar stop``.

Each runner writes one JSON file, ``<pid>.json``, into ``~/.dapr/sidecar-runs`` (``0700``; the
Dapr CLI's folder, so ``DAPR_RUNTIME_PATH`` moves it too) once its apps have started, and deletes
it when it ends. A runner killed by SIGKILL leaves its file: readers drop every file whose pid is
not running, or runs a process that started at another time (a reused pid).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._config import private_dir
from ._runfile import dapr_dir
from .registry import process_start, same_process

if TYPE_CHECKING:
    from ._app_run import AppRun

log = logging.getLogger(__name__)


def runs_dir() -> Path:
    return dapr_dir() / "sidecar-runs"


@dataclass(frozen=True)
class RunRecord:
    """One runner and the apps it runs, as ``dapr list`` shows them."""

    cli_pid: int
    started: str  # process_start of cli_pid
    created: float
    run_template_path: str
    run_template_name: str
    apps: tuple[Mapping[str, Any], ...]
    file: Path

    @property
    def alive(self) -> bool:
        return same_process(self.cli_pid, self.started)


class RunRegistry:
    """This runner's entry: ``record`` once the apps run, ``remove`` at the end."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or runs_dir()
        self.file = self.folder / f"{os.getpid()}.json"

    def record(self, runs: Sequence[AppRun], extended: Mapping[str, str]) -> None:
        entry = {
            "cliPid": os.getpid(),
            "started": process_start(os.getpid()),
            "created": time.time(),
            "runTemplatePath": extended.get("runTemplatePath", ""),
            "runTemplateName": extended.get("runTemplateName", ""),
            "apps": [_app(run) for run in runs],
        }
        try:
            private_dir(self.folder)
            temporary = self.file.with_suffix(".tmp")
            temporary.write_text(json.dumps(entry))
            temporary.replace(self.file)
        except OSError as exc:  # list and stop cannot see this run; it runs all the same
            log.warning("cannot record this run in %s: %s", self.folder, exc)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.file.unlink()


def _app(run: AppRun) -> dict[str, Any]:
    extended = run.sidecar.extended
    return {
        "appId": run.app_id,
        "httpPort": run.sidecar.http_port,
        "grpcPort": run.config.grpc_port,
        "appPort": run.config.app_port or 0,
        "appPid": run.proc.pid if run.proc is not None else 0,
        "command": " ".join(run.app.command),
        "maxRequestBodySize": run.config.max_body_size,
        "appLogPath": extended.get("appLogPath", ""),
        "daprdLogPath": extended.get("daprdLogPath", ""),
    }


def live_runs(folder: Path | None = None) -> list[RunRecord]:
    """Every recorded run still running; files of runs that are gone are deleted."""
    out = []
    for file in sorted((folder or runs_dir()).glob("*.json")):
        record = _read(file)
        if record is not None and record.alive:
            out.append(record)
        else:
            with contextlib.suppress(OSError):
                file.unlink()
    return out


def _read(file: Path) -> RunRecord | None:
    try:
        data = json.loads(file.read_text())
        return RunRecord(
            int(data["cliPid"]),
            str(data["started"]),
            float(data["created"]),
            str(data["runTemplatePath"]),
            str(data["runTemplateName"]),
            tuple(data["apps"]),
            file,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
