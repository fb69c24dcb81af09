"""Calls between sidecars of one runtime home (the role of daprd's internal gRPC API).

A forwarded call carries the home's secret key in ``INTERNAL_HEADER``; the receiving sidecar
accepts it only when the key matches, compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

INTERNAL_HEADER = "x-sidecar-internal"


def is_forwarded(headers: Mapping[str, str], key: str) -> bool:
    """Whether a request carries this home's internal key."""
    given = headers.get(INTERNAL_HEADER, "")
    return bool(key) and hmac.compare_digest(given.encode(), key.encode())
