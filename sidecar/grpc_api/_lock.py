"""TryLockAlpha1 and UnlockAlpha1 over the lock stores, through the operations the HTTP routes
use."""

from __future__ import annotations

from typing import Any

from dapr.proto.runtime.v1 import lock_pb2

from ..lock import operations
from ._context import Context, Services


class LockRpcs:
    services: Services

    async def TryLockAlpha1(self, request: Any, context: Context) -> lock_pb2.TryLockResponse:
        req = operations.LockRequest(
            request.store_name, request.resource_id, request.lock_owner, request.expiry_in_seconds
        )
        app_id = self.services.identity.app_id
        success = await operations.try_lock(self.services.lock_stores, req, app_id)
        return lock_pb2.TryLockResponse(success=success)

    async def UnlockAlpha1(self, request: Any, context: Context) -> lock_pb2.UnlockResponse:
        req = operations.LockRequest(request.store_name, request.resource_id, request.lock_owner)
        app_id = self.services.identity.app_id
        status = await operations.unlock(self.services.lock_stores, req, app_id)
        return lock_pb2.UnlockResponse(status=lock_pb2.UnlockResponse.Status.Value(status.name))
