"""Open a lock component as daprd does at start-up: a bad type or metadata and an unreachable
Redis are fatal, named by the component's file."""

from __future__ import annotations

from contextlib import AsyncExitStack

from ..components import Component, ComponentError, init_failure
from ._redis import LockStore, LockStoreError, build_lock_store


async def open_lock_store(comp: Component, stack: AsyncExitStack) -> LockStore:
    """The opened store, closed when ``stack`` closes; ``ComponentError`` when it cannot open."""
    try:
        store = build_lock_store(comp.name, comp.type, comp.spec_version, comp.metadata)
    except ValueError as exc:
        raise ComponentError(f"{comp.source}: {exc}") from exc
    stack.push_async_callback(store.close)
    try:
        await store.open()
    except LockStoreError as exc:
        message = f"[standaloneRedisLock]: error connecting to redis at {store.settings.address}"
        raise init_failure(comp, LockStoreError(f"{message}: {exc}")) from exc
    return store
