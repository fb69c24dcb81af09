"""TryLock and Unlock for both transports, checked in daprd 1.18's order
(``pkg/api/universal/lock.go`` with ``pkg/messages``): a non-positive expiry (TryLock only), no lock
store at all, an empty resource id, an empty owner, an unknown store; then the key is prefixed
(``lock||{app id}||{resource}`` by default) and the store called. Every refusal is a ``DaprError``
carrying its HTTP status and gRPC code (daprd 1.18.3 sends these statuses with no details, as
recorded for the no-store answers); nothing is written before the checks pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..dapr_errors import DaprError
from ._redis import LockStore, LockStoreError, UnlockStatus


@dataclass(frozen=True)
class LockRequest:
    store_name: str
    resource_id: str
    owner: str
    expiry_seconds: int = 0


def _malformed(message: str) -> DaprError:
    return DaprError(400, "ERR_MALFORMED_REQUEST", message).on_grpc("INVALID_ARGUMENT", details=[])


def _find(stores: Mapping[str, LockStore], req: LockRequest) -> LockStore:
    if not stores:
        error = DaprError(500, "ERR_LOCK_STORE_NOT_CONFIGURED", "lock store is not configured")
        raise error.on_grpc("FAILED_PRECONDITION", details=[])
    if not req.resource_id:
        raise _malformed(f"ResourceId is empty in lock store {req.store_name}")
    if not req.owner:
        raise _malformed(f"LockOwner is empty in lock store {req.store_name}")
    store = stores.get(req.store_name)
    if store is None:
        message = f"lock store {req.store_name} not found"
        error = DaprError(400, "ERR_LOCK_STORE_NOT_FOUND", message)
        raise error.on_grpc("INVALID_ARGUMENT", details=[])
    return store


def _failed(code: str, what: str, exc: Exception) -> DaprError:
    return DaprError(500, code, f"{what}: {exc}").on_grpc("INTERNAL", details=[])


async def try_lock(stores: Mapping[str, LockStore], req: LockRequest, app_id: str) -> bool:
    if req.expiry_seconds <= 0:
        raise _malformed(f"ExpiryInSeconds is not positive in lock store {req.store_name}")
    store = _find(stores, req)
    try:
        return await store.try_lock(
            store.key(req.resource_id, app_id), req.owner, req.expiry_seconds
        )
    except (ValueError, LockStoreError) as exc:
        raise _failed("ERR_TRY_LOCK", "failed to try acquiring lock", exc) from exc


async def unlock(stores: Mapping[str, LockStore], req: LockRequest, app_id: str) -> UnlockStatus:
    store = _find(stores, req)
    try:
        return await store.unlock(store.key(req.resource_id, app_id), req.owner)
    except (ValueError, LockStoreError) as exc:
        raise _failed("ERR_UNLOCK", "failed to release lock", exc) from exc
