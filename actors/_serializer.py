"""Plain JSON for actor messages and state.

The SDK's default serializer turns any string that looks like a date into a datetime and any
string that looks like a Go duration into a timedelta (so a title such as "2026-01-01 review"
would come back as a datetime). Actor messages and state here are plain JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from dapr.serializers import Serializer


class PlainJSONSerializer(Serializer):
    def serialize(self, obj: object, custom_hook: Callable[[object], bytes] | None = None) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()

    def deserialize(
        self,
        data: bytes,
        data_type: Any = object,
        custom_hook: Callable[[bytes], object] | None = None,
    ) -> Any:
        return json.loads(data) if data and data.strip() else None
