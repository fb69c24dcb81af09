"""The ``path`` label of daprd's HTTP metrics: the path with its variable parts folded away.

daprd 1.18 (pkg/diagnostics, ``convertPathToMetricLabel``) keeps a state or secrets path up to
the store name, an actor API path up to the method kind with the id as ``{id}``, an app-side actor
path (``actors/<type>/<id>/...``, written without its leading slash) with the id as ``{id}``, and
every other path whole. Recorded in tests/sidecar/observability/daprd_recorded.json.

One deviation: a job's name becomes ``{name}`` (``/v1.0-alpha1/jobs/{name}``, ``/job/{name}``),
where daprd keeps it. A reminder system makes a job per task, so whole names made a series per job
in each HTTP family: 5,000 jobs created and fired took the sidecar from 93 to 164 MiB resident.
"""

from __future__ import annotations

import functools
import re

_SLASHES = re.compile(r"/{2,}")


@functools.lru_cache(maxsize=4096)  # called per request; the hot paths repeat
def metric_path(path: str) -> str:
    """The label daprd gives ``path`` (server side: the API route; client side: the app route)."""
    if not path:
        return path
    path = "/" + _SLASHES.sub("/", path).lstrip("/")
    parts = path[1:].split("/", 5)
    if parts[0] == "job" and len(parts) == 2:
        return "/job/{name}"
    if len(parts) < 3:
        return path
    if parts[1] == "jobs":
        return f"/{parts[0]}/jobs/{{name}}"
    if parts[0] == "actors":
        parts[2] = "{id}"
        return "/".join(parts)
    if parts[1] in ("state", "secrets"):
        return "/" + "/".join(parts[:3])
    if parts[1] == "actors" and len(parts) >= 5:
        parts[3] = "{id}"
        return "/" + "/".join(parts[:5])
    return path
