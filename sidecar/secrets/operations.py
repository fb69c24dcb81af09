"""The secrets building block as both APIs serve it (``pkg/api/universal/secrets.go``): no secret
store at all, an unknown store and a secret the store cannot give are each one ``DaprError``
carrying its HTTP and gRPC forms; a secret is a mapping of its values, bulk a mapping of secrets.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..dapr_errors import DaprError
from ._stores import SecretNotFoundError, SecretStore


def find_store(stores: Mapping[str, SecretStore], name: str) -> SecretStore:
    if not stores:
        raise DaprError(
            500, "ERR_SECRET_STORES_NOT_CONFIGURED", "secret store is not configured"
        ).on_grpc("FAILED_PRECONDITION", details=[])
    store = stores.get(name)
    if store is None:
        message = f"failed finding secret store with key {name}"
        raise DaprError(401, "ERR_SECRET_STORE_NOT_FOUND", message).on_grpc("INVALID_ARGUMENT")
    return store


def get_secret(stores: Mapping[str, SecretStore], name: str, key: str) -> dict[str, str]:
    store = find_store(stores, name)
    try:
        return dict(store.get(key))
    except SecretNotFoundError as exc:
        message = f"failed getting secret with key {key} from secret store {store.name}: {exc}"
        raise DaprError(500, "ERR_SECRET_GET", message).on_grpc("INTERNAL") from exc


def bulk_secrets(stores: Mapping[str, SecretStore], name: str) -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in find_store(stores, name).bulk().items()}
