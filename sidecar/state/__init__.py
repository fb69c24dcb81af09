"""Dapr state stores: the contract, the in-memory and sqlite implementations, and the factory."""

from __future__ import annotations

from ._base import Delete, SqlTables, StateItem, StateStore, Upsert
from ._factory import build_state_store
from ._store_errors import (
    BulkSetError,
    EtagInvalidError,
    EtagMismatchError,
    InvalidTTLError,
    StateStoreError,
    StoreFailedError,
)
from .memory import InMemoryStateStore
from .postgresql import PostgresStateStore
from .redis import RedisStateStore
from .sqlite import SqliteStateStore

__all__ = [
    "BulkSetError",
    "Delete",
    "EtagInvalidError",
    "EtagMismatchError",
    "InMemoryStateStore",
    "InvalidTTLError",
    "PostgresStateStore",
    "RedisStateStore",
    "SqlTables",
    "SqliteStateStore",
    "StateItem",
    "StateStore",
    "StateStoreError",
    "StoreFailedError",
    "Upsert",
    "build_state_store",
]
