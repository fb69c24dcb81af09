"""The errors a state store raises for a refused operation (daprd maps each to its answer)."""

from __future__ import annotations

from collections.abc import Sequence


class StateStoreError(Exception):
    """Base of the errors a store raises for a refused operation."""


class StoreFailedError(StateStoreError):
    """The store's backend failed (a database error, a lost connection); the message says how."""


class EtagMismatchError(StateStoreError):
    """The ETag (or first-write) condition did not hold for ``key``; nothing was written."""

    def __init__(self, key: str, detail: str | None = None) -> None:
        self.key = key
        self.detail = detail
        message = "possible etag mismatch. error from state store"
        super().__init__(f"{message}: {detail}" if detail else message)


class EtagInvalidError(StateStoreError):
    """The ETag given for ``key`` is not one this store can ever issue (neither built-in store
    raises it: their ETags are free-form strings)."""

    def __init__(self, key: str, detail: str | None = None) -> None:
        self.key = key
        self.detail = detail
        message = "invalid etag value"
        super().__init__(f"{message}: {detail}" if detail else message)


class InvalidTTLError(StateStoreError, ValueError):
    """``metadata.ttlInSeconds`` does not parse; the message is the store's own wording."""


class BulkSetError(StateStoreError):
    """Some items of a ``bulk_set`` failed their concurrency check; nothing was written."""

    def __init__(self, errors: Sequence[EtagMismatchError | EtagInvalidError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(e) for e in self.errors))
