"""The Jobs API's operations, for both transports (dapr-jobs.md §1; daprd ``pkg/api/universal``).

Each takes the services of the sidecar serving the request (its identity, clock, job store and
scheduler) and raises daprd's errors (texts recorded from daprd 1.18.3). Decoding a request and
writing a job back (protojson over HTTP, protobuf over gRPC) stay with each transport.
"""

from __future__ import annotations

from typing import Protocol

from ..clock import Clock
from ..dapr_errors import DaprError
from ..gojson import go_quote
from ._model import JobRecord, JobSpec, app_owner
from ._store import JobExistsError, JobStore
from ._timeline import JobValidationError, first_tick, make_plan

_BAD_NAME_CHARS = frozenset("/\\#?")
MAX_KEY_BYTES = 512  # the Scheduler's limit on the whole key, app||<ns>||<app id>||<name>


class JobServices(Protocol):
    """What the operations use of the sidecar (``services.ApiServices`` provides it)."""

    @property
    def identity(self) -> _Identity: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def job_store(self) -> JobStore: ...

    @property
    def scheduler(self) -> _Waker: ...


class _Identity(Protocol):
    @property
    def app_id(self) -> str: ...

    @property
    def namespace(self) -> str: ...


class _Waker(Protocol):
    def wake(self) -> None: ...


class JobNameError(ValueError):
    """The name fails the Scheduler's API-edge validation."""


def validate_name(key: str, name: str) -> None:
    """The Scheduler's name check, on the job's key (texts recorded from daprd 1.18.3)."""
    if name in (".", ".."):
        raise JobNameError(f"job name is invalid {go_quote(key)}: must not be '.' or '..'")
    if any(c in _BAD_NAME_CHARS for c in name):
        problem = "must not contain '/', '\\', '#' or '?'"
    elif any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        problem = "must not contain control characters"
    elif len(key.encode()) > MAX_KEY_BYTES:
        problem = f"must be at most {MAX_KEY_BYTES} characters"
    else:
        return
    raise JobNameError(f"job name is invalid {go_quote(key)}: {problem}")


def kit(services: JobServices, status: int, code: str, message: str) -> DaprError:
    me = services.identity
    meta = {"appID": me.app_id, "namespace": me.namespace}
    return DaprError(status, code, message, reason=code, metadata=meta)


def _schedule_error(services: JobServices, grpc_code: str, desc: str, status: int) -> DaprError:
    message = f"failed to schedule job due to: rpc error: code = {grpc_code} desc = {desc}"
    error = kit(services, status, "DAPR_SCHEDULER_SCHEDULE_JOB", message)
    return error.on_grpc("ALREADY_EXISTS") if grpc_code == "AlreadyExists" else error


def owner(services: JobServices) -> str:
    return app_owner(services.identity.namespace, services.identity.app_id)


def check_name(services: JobServices, name: str) -> str:
    if not name:
        raise kit(services, 400, "DAPR_SCHEDULER_JOB_NAME_EMPTY", "Name is empty")
    return name


async def schedule(services: JobServices, name: str, spec: JobSpec, overwrite: bool) -> None:
    """Store the job (its first tick computed now) and wake the scheduler."""
    check_name(services, name)
    if spec.schedule is None and spec.due_time is None:
        raise kit(services, 400, "DAPR_SCHEDULER_SCHEDULE_EMPTY", "Schedule is empty")
    try:
        validate_name(f"{owner(services)}||{name}", name)
        now = services.clock.now()
        tick = first_tick(make_plan(spec, now), now)
    except (JobNameError, JobValidationError) as exc:
        prefix = "" if isinstance(exc, JobNameError) else "job failed validation: "
        raise _schedule_error(services, "Unknown", prefix + str(exc), 500) from exc
    try:
        if tick is None:  # first tick already past its ttl: the Scheduler drops it unfired
            await _drop_unfireable(services.job_store, owner(services), name, overwrite)
            return
        record = JobRecord(owner(services), name, spec, created_at=now, tick=tick, due_at=tick)
        await services.job_store.put(record, overwrite=overwrite)
    except JobExistsError as exc:
        raise _schedule_error(services, "AlreadyExists", str(exc), 409) from exc
    services.scheduler.wake()


async def _drop_unfireable(store: JobStore, owner: str, name: str, overwrite: bool) -> None:
    if not overwrite and await store.get(owner, name) is not None:
        raise JobExistsError(owner, name)
    await store.delete(owner, name)


async def get(services: JobServices, name: str) -> JobRecord:
    check_name(services, name)
    record = None
    try:
        validate_name(f"{owner(services)}||{name}", name)
        record = await services.job_store.get(owner(services), name)
        desc = f"rpc error: code = NotFound desc = job not found: {name}"
    except JobNameError as exc:
        desc = f"rpc error: code = Unknown desc = {exc}"
    if record is None:
        message = f"failed to get job due to: {desc}"
        raise kit(services, 500, "DAPR_SCHEDULER_GET_JOB", message)
    return record


async def delete(services: JobServices, name: str) -> None:
    check_name(services, name)
    try:
        validate_name(f"{owner(services)}||{name}", name)
    except JobNameError as exc:
        message = f"failed to delete job due to: rpc error: code = Unknown desc = {exc}"
        raise kit(services, 500, "DAPR_SCHEDULER_DELETE_JOB", message) from exc
    await services.job_store.delete(owner(services), name)


async def list_jobs(services: JobServices) -> list[JobRecord]:
    return await services.job_store.records(owner(services))


async def delete_by_prefix(services: JobServices, prefix: str) -> None:
    await services.job_store.delete_prefix(owner(services), prefix)
