"""Serving an app: ``python -m agent`` and ``python -m notifier`` both go through here."""

from __future__ import annotations

import gc
import logging
from typing import Any

import uvicorn

# How long the server keeps an idle connection open. Longer than any of our clients keeps one
# idle (httpx's 5 s, aiohttp's pools here 5 s): the client always closes first, so a request is
# never written into a connection the server is closing at that moment (the client would read
# an EOF where the answer should be). uvicorn's default, 5 s, equals the clients' and races them.
KEEPALIVE_SECONDS = 75


def serve(app: Any, host: str, port: int) -> None:
    gc.freeze()  # the imports live as long as the process: full collections need not walk them
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,  # a line per request buries the lines that say what happened
        timeout_keep_alive=KEEPALIVE_SECONDS,
    )


def log_ready(logger: logging.Logger, name: str, settings: Any, *more: str) -> None:
    """The app's one ready line: where it listens, where its API docs are, its sidecar."""
    where = f"http://{settings.app_host}:{settings.app_port}"
    tail = "".join(f", {m}" for m in more)
    logger.info(
        "%s ready on %s (API docs /docs); sidecar %s%s",
        name,
        where,
        settings.dapr_http_endpoint,
        tail,
    )
