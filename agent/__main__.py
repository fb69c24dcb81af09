"""``python -m agent``: serve the agent on APP_HOST:APP_PORT (default 127.0.0.1:8002)."""

from __future__ import annotations

import os

import uvicorn

from appkit.logs import configure_logging

from ._settings import AgentSettings
from .app import create_app


def main() -> None:
    configure_logging()
    settings = AgentSettings.from_env(os.environ)
    uvicorn.run(
        create_app(settings),
        host=settings.app_host,
        port=settings.app_port,
        access_log=False,  # a line per request buries the lines that say what happened
    )


if __name__ == "__main__":
    main()
