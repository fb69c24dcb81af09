"""Dapr state stores: the contract, the in-memory and sqlite implementations, and the factory."""

from __future__ import annotations

from ._base import (
    BulkSetError,
    Delete,
    EtagInvalidError,
    EtagMismatchError,
    InvalidTTLError,
    StateItem,
    StateStore,
    StateStoreError,
    StoreFailedError,
    Upsert,
)
from ._factory import build_state_store
from .memory import InMemoryStateStore
from .sqlite import SqliteStateStore

__all__ = [
    "BulkSetError",
    "Delete",
    "EtagInvalidError",
    "EtagMismatchError",
    "InMemoryStateStore",
    "InvalidTTLError",
    "SqliteStateStore",
    "StateItem",
    "StateStore",
    "StateStoreError",
    "StoreFailedError",
    "Upsert",
    "build_state_store",
]
