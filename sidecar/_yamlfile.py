"""Reading one YAML file a user wrote (a run file, a Configuration), with errors that name it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


def load(path: Path, error: Callable[[str], Exception], invalid: str = "invalid YAML") -> Any:
    """The document in ``path``; ``error(message)`` is raised, the message starting with the
    path, when the file cannot be read (``cannot read: ...``) or is not YAML (``invalid: ...``)."""
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: {invalid}: {exc}") from exc
