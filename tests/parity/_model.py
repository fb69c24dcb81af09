"""What one exchange of the parity catalogue is: a request to the sidecar's HTTP API and, when
asked, what the app received because of it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Template
from typing import Any

MAIN = "main"  # the runtime of app "parity", which hosts actor type T and subscribes
TOKEN = "token"  # the runtime of app "parity-token", started with DAPR_API_TOKEN
GRPC = "grpc"  # the runtime of app "parity-grpc", called over gRPC (appProtocol: grpc)
API_TOKEN = "parity-secret"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@dataclass(frozen=True)
class Exchange:
    """One request and what to observe.

    ``body``: None sends nothing, a ``str`` is sent as it is, anything else as compact JSON.
    ``path``, header values and the body may name context values as ``${name}`` (see
    :func:`tests.parity._runner.initial_context`, and ``capture``).
    ``app``: record the requests the app received on paths starting with this; ``app_count``:
    wait until that many have arrived (for deliveries that happen after the answer).
    ``app_runtime``: whose app to watch, when not the runtime the request goes to.
    ``capture``: context names to set from the answer: ``header:<name>`` or ``json:<key>``.
    """

    id: str
    method: str
    path: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    app: str | None = None
    app_count: int = 0
    app_unordered: bool = False
    unordered_body: bool = False
    runtime: str = MAIN
    app_runtime: str | None = None
    capture: Mapping[str, str] = field(default_factory=dict)

    def body_text(self) -> str | None:
        if self.body is None or isinstance(self.body, str):
            return self.body
        return json.dumps(self.body, separators=(",", ":"))

    def describe(self) -> dict[str, Any]:
        """The request as the snapshot shows it (context names unexpanded)."""
        out: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.runtime != MAIN:
            out["runtime"] = self.runtime
        if self.headers:
            out["headers"] = dict(self.headers)
        if self.body is not None:
            out["body"] = self.body
        return out


def expand(text: str, context: Mapping[str, str]) -> str:
    """``${name}`` replaced by the context value; a ``$`` not followed by a name stays."""
    return Template(text).safe_substitute(context)


def x(id: str, line: str, body: Any = None, **kw: Any) -> Exchange:
    """Shorthand: ``x("jobs.get", "GET /v1.0/jobs/a")``."""
    method, path = line.split(" ", 1)
    return Exchange(id, method, path, body, **kw)


JSON_HEADERS = {"content-type": "application/json"}
