"""Logging for the apps' process entry points."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OUTBOUND_LOGGERS = ("httpx", "httpcore")  # a line per outbound request: detail, not news


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for name in OUTBOUND_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
