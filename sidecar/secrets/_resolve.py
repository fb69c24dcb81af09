"""Loading the secret stores among an app's components, and resolving ``secretKeyRef`` values.

As daprd does, secret stores are loaded first; then each other component's ``secretKeyRef``
items take the value ``secret[key]`` from the store its ``auth.secretStore`` names. daprd's
default store name is ``kubernetes``; a component that names a store not loaded here (or leaves
it to that default) is a start-up error naming the component and its file, where daprd would
leave the component waiting for the store.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from ..components import Component, ComponentError, Resources, init_failure
from ._stores import EnvSecretStore, FileSecretStore, SecretNotFoundError, SecretStore

log = logging.getLogger(__name__)

DEFAULT_STORE = "kubernetes"  # daprd's default for auth.secretStore


def load_secret_stores(
    resources: Resources, base_dir: Path
) -> tuple[dict[str, SecretStore], Resources]:
    """The secret stores, and the resources with every ``secretKeyRef`` resolved."""
    stores: dict[str, SecretStore] = {}
    for comp in resources.components:
        if comp.type.startswith("secretstores."):
            stores[comp.name] = _build(comp, base_dir)
    resolved = [_resolve(comp, stores) for comp in resources.components]
    return stores, dataclasses.replace(resources, components=resolved)


def _meta(comp: Component, name: str) -> str:
    return next((v for k, v in comp.metadata.items() if k.lower() == name.lower()), "")


def _build(comp: Component, base_dir: Path) -> SecretStore:
    if comp.type == "secretstores.local.env":
        return EnvSecretStore(comp.name, _meta(comp, "prefix"))
    if comp.type == "secretstores.local.file":
        path = _meta(comp, "secretsFile")
        if not path:
            raise init_failure(comp, ValueError("missing local secrets file in metadata"))
        separator = _meta(comp, "nestedSeparator") or ":"
        multi = _meta(comp, "multiValued").lower() == "true"
        try:
            return FileSecretStore(comp.name, base_dir / path, separator, multi)
        except ValueError as exc:
            raise init_failure(comp, exc) from exc
    raise ComponentError(
        f"{comp.source}: component {comp.name!r} has unsupported type {comp.type!r}"
        " (secret stores: secretstores.local.env, secretstores.local.file)"
    )


def _resolve(comp: Component, stores: dict[str, SecretStore]) -> Component:
    if not comp.secret_refs:
        return comp
    store_name = comp.auth_secret_store or DEFAULT_STORE
    store = stores.get(store_name)
    if store is None:
        raise ComponentError(
            f"{comp.source}: component {comp.name!r} references a secret store that isn't "
            f"loaded: {store_name} (set auth.secretStore to a secret store component)"
        )
    metadata = dict(comp.metadata)
    for item, ref in comp.secret_refs.items():
        try:
            value = store.get(ref.name).get(ref.key, "")
        except SecretNotFoundError as exc:
            log.error("%s: component %s: error getting secret: %s", comp.source, comp.name, exc)
            continue
        if value:
            metadata[item] = value
    return dataclasses.replace(comp, metadata=metadata)
