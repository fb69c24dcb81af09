"""GetSecret and GetBulkSecret over the secret stores, through the operations the HTTP routes
use (an empty store name finds no store, as daprd's lookup)."""

from __future__ import annotations

from typing import Any

from dapr.proto.runtime.v1 import secret_pb2

from ..secrets import operations
from ._context import Context, Services


class SecretRpcs:
    services: Services

    async def GetSecret(self, request: Any, context: Context) -> secret_pb2.GetSecretResponse:
        stores = self.services.secret_stores
        secret = operations.get_secret(stores, request.store_name, request.key)
        return secret_pb2.GetSecretResponse(data=secret)

    async def GetBulkSecret(
        self, request: Any, context: Context
    ) -> secret_pb2.GetBulkSecretResponse:
        found = operations.bulk_secrets(self.services.secret_stores, request.store_name)
        data = {k: secret_pb2.SecretResponse(secrets=v) for k, v in found.items()}
        return secret_pb2.GetBulkSecretResponse(data=data)
