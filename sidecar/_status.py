"""The Dapr CLI's status lines, printed by ``sidecar run`` at the moments ``dapr run`` prints them.

The texts and icons are the CLI's (its ``pkg/print``: ``ℹ️``, ``✅``, ``⚠``, ``❌`` and two
spaces before the text; ``{"time","status","msg"}`` objects with ``--log-as-json``). They go
through the runner's output thread, so they keep their order with the apps' lines. Single-app
runs print what ``dapr run --app-id`` prints, ``-f`` runs what ``dapr run -f`` prints.
"""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TextIO

from ._output import LineWriter

if TYPE_CHECKING:
    from ._app_run import AppRun


class Level(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    WARNING = "warning"
    INFO = "info"


class StatusStyle(StrEnum):
    TEXT = "text"
    JSON = "json"  # --log-as-json


_ICONS = {Level.SUCCESS: "✅", Level.FAILURE: "❌", Level.WARNING: "⚠", Level.INFO: "ℹ️"}


class Status:
    """Writes status lines to stdout (failures to stderr), as the CLI's ``print`` package."""

    def __init__(
        self, output: LineWriter, out: TextIO, err: TextIO, *, as_json: bool = False
    ) -> None:
        self.output = output
        self.out = out
        self.err = err
        self.as_json = as_json

    def event(self, level: Level, text: str) -> None:
        stream = self.err if level is Level.FAILURE else self.out
        if self.as_json:
            stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            line = json.dumps({"time": stamp, "status": level.value, "msg": text})
        else:
            line = f"{_ICONS[level]}  {text}"
        self.output.post(line + "\n", stream)

    def plain(self, text: str) -> None:
        self.output.post(text + "\n", self.out)


class RunLines(Protocol):
    """The moments of a run at which the CLI prints something."""

    def starting(self, run: AppRun) -> None: ...
    def sidecar_up(self, run: AppRun) -> None: ...
    def started(self, run: AppRun) -> None: ...
    def app_exited(self, run: AppRun, code: int) -> None: ...
    def shutting_down(self, *, signalled: bool) -> None: ...
    def stopped(self, run: AppRun) -> None: ...


class QuietLines:
    """No status lines (the runner embedded, in tests or benchmarks)."""

    def starting(self, run: AppRun) -> None:
        return None

    def sidecar_up(self, run: AppRun) -> None:
        return None

    def started(self, run: AppRun) -> None:
        return None

    def app_exited(self, run: AppRun, code: int) -> None:
        return None

    def shutting_down(self, *, signalled: bool) -> None:
        return None

    def stopped(self, run: AppRun) -> None:
        return None


def exit_text(code: int) -> str:
    """How the CLI words an app's end: ``N`` for a code, the signal's name for a kill."""
    if code < 0:
        return signal.Signals(-code).name.removeprefix("SIG").lower()
    return str(code)


class SingleAppLines:
    """``dapr run --app-id X [-- CMD]`` (dapr/cli cmd/run.go)."""

    def __init__(self, status: Status) -> None:
        self.status = status
        self._exited: set[str] = set()

    def starting(self, run: AppRun) -> None:
        if not run.app.command:
            self.status.plain("WARNING: no application command found.")

    def sidecar_up(self, run: AppRun) -> None:
        http, grpc = run.sidecar.http_port, run.config.grpc_port
        self.status.event(
            Level.INFO, f"Starting Dapr with id {run.app_id}. HTTP Port: {http}. gRPC Port: {grpc}"
        )
        if not run.config.app_port:
            self.status.event(
                Level.INFO, f"Checking if Dapr sidecar is listening on HTTP port {http}"
            )
            self.status.event(Level.INFO, "Dapr sidecar is up and running.")

    def started(self, run: AppRun) -> None:
        if run.proc is None:
            self.status.event(Level.SUCCESS, "You're up and running! Dapr logs will appear here.\n")
            return
        self.status.event(Level.INFO, f"Updating metadata for appPID: {run.proc.pid}")
        command = " ".join(run.app.command)
        self.status.event(Level.INFO, f"Updating metadata for app command: {command}")
        self.status.event(
            Level.SUCCESS, "You're up and running! Both Dapr and your app logs will appear here.\n"
        )

    def app_exited(self, run: AppRun, code: int) -> None:
        self._exited.add(run.app_id)
        if code == 0:
            self.status.event(Level.SUCCESS, "Exited App successfully")
        elif code < 0:
            self.status.event(
                Level.FAILURE, f"The App process was terminated by signal: {exit_text(code)}"
            )
        else:
            self.status.event(Level.FAILURE, f"The App process exited with error code: {code}")

    def shutting_down(self, *, signalled: bool) -> None:
        self.status.event(Level.INFO, "\nterminated signal received: shutting down")

    def stopped(self, run: AppRun) -> None:
        self.status.event(Level.SUCCESS, "Exited Dapr successfully")
        if run.proc is not None and run.app_id not in self._exited:
            self.status.event(Level.SUCCESS, "Exited App successfully")


class RunFileLines:
    """``dapr run -f`` (dapr/cli cmd/run.go ``executeRun``); an app's own end goes, unprefixed,
    where its output goes, as the CLI writes it to the app's log writer."""

    def __init__(self, status: Status) -> None:
        self.status = status

    def starting(self, run: AppRun) -> None:
        self.status.event(Level.INFO, f'Validating config and starting app "{run.app_id}"')

    def sidecar_up(self, run: AppRun) -> None:
        return None

    def started(self, run: AppRun) -> None:
        http, grpc = run.sidecar.http_port, run.config.grpc_port
        self.status.event(
            Level.INFO,
            f'Started Dapr with app id "{run.app_id}". HTTP Port: {http}. gRPC Port: {grpc}',
        )
        self.status.event(Level.INFO, f"Writing log files to directory : {run.logs_dir}")

    def app_exited(self, run: AppRun, code: int) -> None:
        if code == 0:
            run.note("Exited App successfully")
        elif code < 0:
            run.note(f"The App process exited with error code: signal: {exit_text(code)}")
        else:
            run.note(f"The App process exited with error code: exit status {code}")

    def shutting_down(self, *, signalled: bool) -> None:
        if signalled:
            self.status.plain("")
            self.status.event(
                Level.INFO,
                "Received signal to stop Dapr and app processes."
                " Shutting down Dapr and app processes.",
            )

    def stopped(self, run: AppRun) -> None:
        return None
