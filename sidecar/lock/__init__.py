"""The distributed lock building block: ``lock.redis`` and the operations both APIs serve."""

from __future__ import annotations

from ._open import open_lock_store
from ._redis import LockStore, LockStoreError, UnlockStatus, build_lock_store

__all__ = ["LockStore", "LockStoreError", "UnlockStatus", "build_lock_store", "open_lock_store"]
