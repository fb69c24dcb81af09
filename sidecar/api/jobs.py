"""Jobs API: POST, GET, DELETE /v1.0/jobs/{name} and the same on /v1.0-alpha1 (dapr-jobs.md §1)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..dapr_errors import DaprError
from ..gojson import go_quote
from ..jobs import (
    JobExistsError,
    JobNameInBodyError,
    JobRecord,
    JobValidationError,
    app_owner,
    first_tick,
    make_plan,
    parse_create_body,
)
from ..services import ApiServices
from ..web import empty, json_response, parse_json, read_body
from ._context import services_of

VALUE_TYPE = "type.googleapis.com/google.protobuf.Value"
_BAD_NAME_CHARS = frozenset("/\\#?")
MAX_KEY_BYTES = 512  # the Scheduler's limit on the whole key, app||<ns>||<app id>||<name>


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


def _meta(request: Request) -> dict[str, str]:
    me = services_of(request).identity
    return {"appID": me.app_id, "namespace": me.namespace}


def _kit(request: Request, status: int, code: str, message: str) -> DaprError:
    return DaprError(status, code, message, reason=code, metadata=_meta(request))


def _schedule_error(request: Request, grpc_code: str, desc: str, status: int = 500) -> DaprError:
    message = f"failed to schedule job due to: rpc error: code = {grpc_code} desc = {desc}"
    return _kit(request, status, "DAPR_SCHEDULER_SCHEDULE_JOB", message)


def _name(request: Request, *, trim: bool) -> str:
    """The URL's name; POST trims it (so ``%20`` is empty there), GET and DELETE do not."""
    name: str = request.path_params["name"]
    name = name.strip() if trim else name
    if not name:
        raise _kit(request, 400, "DAPR_SCHEDULER_JOB_NAME_EMPTY", "Name is empty")
    return name


async def schedule_job(request: Request) -> Response:
    body = parse_json(await read_body(request), empty_as={})
    try:
        spec, overwrite = parse_create_body(body)
    except JobNameInBodyError:
        meta = {"appID": services_of(request).identity.app_id}  # daprd names no namespace here
        message = "Set the job name in the url only"
        code = "DAPR_SCHEDULER_JOB_NAME"
        raise DaprError(400, code, message, reason=code, metadata=meta) from None
    name = _name(request, trim=True)
    if spec.schedule is None and spec.due_time is None:
        raise _kit(request, 400, "DAPR_SCHEDULER_SCHEDULE_EMPTY", "Schedule is empty")
    await _store_job(request, name, spec, overwrite)
    return empty()


async def _store_job(request: Request, name: str, spec: Any, overwrite: bool) -> None:
    services = services_of(request)
    try:
        validate_name(f"{_owner(services)}||{name}", name)
        now = services.clock.now()
        tick = first_tick(make_plan(spec, now), now)
    except (JobNameError, JobValidationError) as exc:
        prefix = "" if isinstance(exc, JobNameError) else "job failed validation: "
        raise _schedule_error(request, "Unknown", prefix + str(exc)) from exc
    owner = _owner(services)
    try:
        if tick is None:  # first tick already past its ttl: the Scheduler drops it unfired
            await _drop_unfireable(services.job_store, owner, name, overwrite)
            return
        record = JobRecord(owner, name, spec, created_at=now, tick=tick, due_at=tick)
        await services.job_store.put(record, overwrite=overwrite)
    except JobExistsError as exc:
        raise _schedule_error(request, "AlreadyExists", str(exc), status=409) from exc
    services.scheduler.wake()


def _owner(services: ApiServices) -> str:
    return app_owner(services.identity.namespace, services.identity.app_id)


async def _drop_unfireable(store: Any, owner: str, name: str, overwrite: bool) -> None:
    if not overwrite and await store.get(owner, name) is not None:
        raise JobExistsError(owner, name)
    await store.delete(owner, name)


def render_job(record: JobRecord) -> dict[str, Any]:
    """The protojson form of runtime.v1.Job, fields in proto order, unset ones omitted."""
    spec = record.spec
    out: dict[str, Any] = {"name": record.name}
    if spec.schedule is not None:
        out["schedule"] = spec.schedule
    if spec.repeats is not None:
        out["repeats"] = spec.repeats
    if spec.due_time is not None:
        out["dueTime"] = spec.due_time
    if spec.ttl is not None:
        out["ttl"] = spec.ttl
    if spec.data is not None:
        out["data"] = {"@type": VALUE_TYPE, "value": json.loads(spec.data)}
    out["failurePolicy"] = spec.failure_policy.to_json()
    return out


async def get_job(request: Request) -> Response:
    services = services_of(request)
    name = _name(request, trim=False)
    record = None
    try:
        owner = _owner(services)
        validate_name(f"{owner}||{name}", name)
        record = await services.job_store.get(owner, name)
        desc = f"rpc error: code = NotFound desc = job not found: {name}"
    except JobNameError as exc:
        desc = f"rpc error: code = Unknown desc = {exc}"
    if record is None:
        raise _kit(request, 500, "DAPR_SCHEDULER_GET_JOB", f"failed to get job due to: {desc}")
    return json_response(render_job(record))


async def delete_job(request: Request) -> Response:
    services = services_of(request)
    name = _name(request, trim=False)
    try:
        validate_name(f"{_owner(services)}||{name}", name)
    except JobNameError as exc:
        message = f"failed to delete job due to: rpc error: code = Unknown desc = {exc}"
        raise _kit(request, 500, "DAPR_SCHEDULER_DELETE_JOB", message) from exc
    await services.job_store.delete(_owner(services), name)
    return empty()


routes = [
    route
    for version in ("v1.0", "v1.0-alpha1")
    for route in (
        Route(f"/{version}/jobs/{{name}}", schedule_job, methods=["POST"]),
        Route(f"/{version}/jobs/{{name}}", get_job, methods=["GET"]),
        Route(f"/{version}/jobs/{{name}}", delete_job, methods=["DELETE"]),
    )
]
