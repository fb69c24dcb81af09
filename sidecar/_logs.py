"""The runner's log lines: plain text, or one JSON object a line (``--log-as-json``, as daprd).

A JSON line has daprd's fields: ``time`` (RFC 3339), ``level`` (lower case), ``msg``, ``scope``
(the logger), ``type`` ``"log"``, ``ver`` (the runtime version), and ``app_id`` when the record was
logged on behalf of one app. A traceback, if any, is in ``error``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from ._config import RUNTIME_VERSION

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class DaprJsonFormatter(JsonFormatter):
    """One JSON object per record, in daprd's field names."""

    def __init__(self, app_id: Callable[[], str | None]) -> None:
        super().__init__("%(message)s", rename_fields={"message": "msg", "exc_info": "error"})
        self.app_id = app_id

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        moment = datetime.fromtimestamp(record.created, UTC)
        log_data["time"] = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
        log_data["level"] = record.levelname.lower()
        super().add_fields(log_data, record, message_dict)
        log_data.update(scope=record.name, type="log", ver=RUNTIME_VERSION)
        if (app := self.app_id()) is not None:
            log_data["app_id"] = app


def formatter(as_json: bool, app_id: Callable[[], str | None]) -> logging.Formatter:
    return DaprJsonFormatter(app_id) if as_json else logging.Formatter(LOG_FORMAT)


def configure(level: str, as_json: bool, app_id: Callable[[], str | None]) -> None:
    """Root logging to stderr at ``level``, text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(as_json, app_id))
    logging.basicConfig(level=level, handlers=[handler])


def like_root() -> logging.Formatter:
    """A formatter of the style the root logger writes (for the per-app log files)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, DaprJsonFormatter):
            return handler.formatter
    return logging.Formatter(LOG_FORMAT)
