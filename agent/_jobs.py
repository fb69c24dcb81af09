"""The Dapr Jobs API (``/{version}/jobs/{name}``) over the shared sidecar client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from actors import JobRequest, format_instant

from ._settings import AgentSettings
from ._sidecar_client import SidecarClient, SidecarError


def failure_policy(interval: timedelta, max_retries: int) -> dict[str, Any]:
    """A constant policy; the interval as a protobuf Duration (``"5s"``, ``"0.500s"``)."""
    return {"constant": {"interval": proto_duration(interval), "maxRetries": max_retries}}


def proto_duration(duration: timedelta) -> str:
    """Protobuf Duration JSON as protojson writes it: whole seconds, then 0, 3 or 6 fractional
    digits (9 would be nanoseconds, finer than ``timedelta``), ``s``. Integer arithmetic only."""
    micros = duration // timedelta(microseconds=1)
    sign = "-" if micros < 0 else ""
    seconds, fraction = divmod(abs(micros), 1_000_000)
    if fraction == 0:
        return f"{sign}{seconds}s"
    digits = f"{fraction:06d}"
    return f"{sign}{seconds}.{digits.removesuffix('000')}s"


TRACE_KEYS = ("traceparent", "tracestate")


def trace_carrier() -> dict[str, str]:
    """The current W3C trace context (``traceparent``, ``tracestate``), to keep in a job's data:
    a job trigger carries no trace context (as daprd's), so its fire continues the trace of the
    call that scheduled it through this. Empty outside a trace."""
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier


@contextmanager
def continued(data: Mapping[str, Any]) -> Iterator[None]:
    """Run the block in the trace whose context ``data`` keeps (see :func:`trace_carrier`)."""
    carrier = {k: v for k, v in data.items() if k in TRACE_KEYS and isinstance(v, str)}
    if "traceparent" not in carrier:
        yield
        return
    token = otel_context.attach(TraceContextTextMapPropagator().extract(carrier))
    try:
        yield
    finally:
        otel_context.detach(token)


class JobsClient:
    """Creates, reads and deletes jobs; implements the actor's ``JobScheduler`` port."""

    def __init__(self, sidecar: SidecarClient, settings: AgentSettings) -> None:
        self._sidecar = sidecar
        self._version = settings.jobs_api_version.value
        self._policy = failure_policy(settings.job_retry_interval, settings.job_max_retries)

    async def schedule(self, job: JobRequest) -> None:
        body = {
            "dueTime": format_instant(job.due_time),
            "data": {**job.data, **trace_carrier()},
            "overwrite": True,
            "failurePolicy": self._policy,
        }
        await self.put(job.name, body)

    async def put(self, name: str, body: dict[str, Any]) -> None:
        await self._sidecar.request("POST", self._path(name), json_body=body)

    async def get(self, name: str) -> dict[str, Any]:
        response = await self._sidecar.request("GET", self._path(name))
        return response.json()  # type: ignore[no-any-return]

    async def delete(self, name: str) -> None:
        await self._sidecar.request("DELETE", self._path(name))

    async def exists(self, name: str) -> bool:
        """daprd answers a missing job 500 ``DAPR_SCHEDULER_GET_JOB`` ... ``NotFound``."""
        try:
            await self._sidecar.request("GET", self._path(name))
        except SidecarError as exc:
            if exc.status in (404, 500) and "not found" in exc.message.lower():
                return False
            raise
        return True

    def _path(self, name: str) -> str:
        return f"{self._version}/jobs/{name}"
