"""``python -m notifier``: serve the notifier on APP_HOST:APP_PORT (default 127.0.0.1:8003)."""

from __future__ import annotations

import logging
import os

import uvicorn

from ._settings import NotifierSettings
from .app import create_app

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OUTBOUND_LOGGERS = ("httpx", "httpcore")  # a line per outbound request: detail, not news


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for name in OUTBOUND_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def main() -> None:
    configure_logging()
    settings = NotifierSettings.from_env(os.environ)
    uvicorn.run(create_app(settings), host=settings.app_host, port=settings.app_port)


if __name__ == "__main__":
    main()
