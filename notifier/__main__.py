"""``python -m notifier``: serve the notifier on APP_HOST:APP_PORT (default 127.0.0.1:8003)."""

from __future__ import annotations

import logging
import os

import uvicorn

from ._settings import NotifierSettings
from .app import create_app

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def main() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    settings = NotifierSettings.from_env(os.environ)
    uvicorn.run(create_app(settings), host=settings.app_host, port=settings.app_port)


if __name__ == "__main__":
    main()
