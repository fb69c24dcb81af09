"""``sidecar list [-o json|yaml|table]`` and ``sidecar stop -f FILE|DIR`` / ``--app-id X``, as
the Dapr CLI's ``dapr list`` and ``dapr stop``, over the runs recorded in ``_runs.py``.

Stopping sends SIGTERM to the runner, which stops its apps and sidecars in order, and waits (at
most ``STOP_WAIT`` s) for it to end. An app of a ``-f`` run with other apps is stopped alone,
through its sidecar's ``POST /v1.0/shutdown``, as ``dapr stop`` then stops only that daprd.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ._output import LineWriter
from ._runfile import find_run_file
from ._runs import RunRecord, live_runs
from ._status import Level, Status

STOP_WAIT = 30.0
_COLUMNS = (("APP ID", "appId"), ("HTTP PORT", "httpPort"), ("GRPC PORT", "grpcPort"),
            ("APP PORT", "appPort"), ("COMMAND", "command"), ("AGE", "age"),
            ("CREATED", "created"), ("DAPRD PID", "daprdPid"), ("CLI PID", "cliPid"),
            ("APP PID", "appPid"), ("RUN_TEMPLATE_PATH", "runTemplatePath"),
            ("APP_LOG_PATH", "appLogPath"), ("DAPRD_LOG_PATH", "daprdLogPath"))  # fmt: skip


class StopError(Exception):
    """Nothing to stop: the message says what was looked for."""


def rows() -> list[dict[str, Any]]:
    """One row per app of every live run, with ``dapr list``'s fields."""
    return [_row(run, app) for run in live_runs() for app in run.apps]


def _row(run: RunRecord, app: Any) -> dict[str, Any]:
    created = datetime.fromtimestamp(run.created)
    row = {k: app.get(k, "") for k in ("appId", "httpPort", "grpcPort", "appPort")}
    row |= {"metricsEnabled": False, "command": _truncate(app.get("command", ""))}
    row |= {
        "age": _age(time.time() - run.created),
        "created": created.strftime("%Y-%m-%d %H:%M.%S"),
    }
    row |= {"daprdPid": run.cli_pid, "cliPid": run.cli_pid, "appPid": app.get("appPid", 0)}
    row |= {"maxRequestBodySize": app.get("maxRequestBodySize", 0), "httpReadBufferSize": 0}
    row |= {"runTemplatePath": run.run_template_path, "appLogPath": app.get("appLogPath", "")}
    row |= {"daprdLogPath": app.get("daprdLogPath", ""), "runTemplateName": run.run_template_name}
    return row


def _truncate(text: str, size: int = 20) -> str:
    return text if len(text) <= size else text[:size] + "..."


def _age(seconds: float) -> str:
    for unit, length in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= length:
            return f"{int(seconds // length)}{unit}"
    return f"{int(seconds)}s"


def list_text(output: str) -> str:
    table = rows()
    if output == "json":
        return json.dumps(table, indent=2) + "\n"
    if output == "yaml":
        return str(yaml.safe_dump(table, sort_keys=False))
    if not table:
        return "No Dapr instances found.\n"
    cells = [[h for h, _ in _COLUMNS]] + [[str(r[k]) for _, k in _COLUMNS] for r in table]
    widths = [max(len(row[i]) for row in cells) for i in range(len(_COLUMNS))]
    return "".join(_line(row, widths) for row in cells)


def _line(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n"


def stop_run_file(path: Path) -> None:
    """SIGTERM every runner of this run template; StopError when none runs it."""
    template = str(find_run_file(path.expanduser()).resolve())
    runs = [run for run in live_runs() if run.run_template_path == template]
    if not runs:
        raise StopError(f"couldn't find apps with run file {template!r}")
    for run in runs:
        _terminate(run)


def stop_app(app_id: str) -> None:
    """Stop the run of ``app_id`` (only that app, when its run has others)."""
    for run in live_runs():
        for app in run.apps:
            if app.get("appId") == app_id:
                _stop_one(run, app)
                return
    raise StopError(f"couldn't find app id {app_id}")


def _stop_one(run: RunRecord, app: Any) -> None:
    if len(run.apps) == 1:
        _terminate(run)
        return
    url = f"http://127.0.0.1:{app['httpPort']}/v1.0/shutdown"
    urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10).close()


def _terminate(run: RunRecord) -> None:
    try:
        os.kill(run.cli_pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_WAIT
    while run.alive and time.monotonic() < deadline:
        time.sleep(0.05)  # another process's exit: nothing to wait on but its pid


def stop_command(run_file: Path | None, app_ids: list[str]) -> int:
    """``sidecar stop``: the CLI's lines; exit 1 when something asked for was not running."""
    output = LineWriter()
    status = Status(output, sys.stdout, sys.stderr)
    failed = False
    try:
        if run_file is not None:
            failed = not _report(status, lambda: stop_run_file(run_file),
                                 "Dapr and app processes stopped successfully",
                                 "Failed to stop Dapr and app processes: ")  # fmt: skip
        for app_id in app_ids:
            ok = _report(status, lambda a=app_id: stop_app(a),
                         f"app stopped successfully: {app_id}",
                         f"failed to stop app id {app_id}: ")  # fmt: skip
            failed = failed or not ok
    finally:
        output.close()
    return 1 if failed else 0


def _report(status: Status, action: Any, success: str, failure: str) -> bool:
    try:
        action()
    except (StopError, OSError) as exc:
        status.event(Level.FAILURE, f"{failure}{exc}")
        return False
    status.event(Level.SUCCESS, success)
    return True
