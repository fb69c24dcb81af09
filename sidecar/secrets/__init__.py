"""Secret stores (``secretstores.local.env``, ``secretstores.local.file``) and ``secretKeyRef``
resolution in component metadata."""

from __future__ import annotations

from ._resolve import load_secret_stores
from ._stores import EnvSecretStore, FileSecretStore, SecretNotFoundError, SecretStore

__all__ = [
    "EnvSecretStore",
    "FileSecretStore",
    "SecretNotFoundError",
    "SecretStore",
    "load_secret_stores",
]
