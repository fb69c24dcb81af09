"""``python -m agent``: serve the agent on APP_HOST:APP_PORT (default 127.0.0.1:8002)."""

from __future__ import annotations

import os

from appkit.logs import configure_logging
from appkit.serve import serve

from ._settings import AgentSettings
from .app import create_app


def main() -> None:
    configure_logging()
    settings = AgentSettings.from_env(os.environ)
    serve(create_app(settings), settings.app_host, settings.app_port)


if __name__ == "__main__":
    main()
