"""The lab's TaskExecutorService behaviour: log what a lab job delivers."""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)


def default_lab_data(job_name: str) -> dict[str, Any]:
    return {"message": "Programmatically scheduled!", "source": job_name}


def execute_scheduled_task(data: Any) -> None:
    logger.info("Received call to /executeScheduledTask by Dapr Job.")
    logger.info("Received JSON data: %s", json.dumps(data, ensure_ascii=False))


def decode(body: bytes) -> Any:
    """The job's data: JSON when it parses (Dapr sends JSON), else the text as is."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")
