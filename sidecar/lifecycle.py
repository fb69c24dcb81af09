"""The open/close lifecycle the runtime's long-lived resources share (stores, brokers)."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Resource:
    """Used as ``async with resource:``: ``open()`` on entry, ``close()`` on exit."""

    async def open(self) -> None:
        """Acquire what the resource needs; afterwards it serves calls."""

    async def close(self) -> None:
        """Release it; everything acknowledged is already durable."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
