"""Jobs API: POST, GET, DELETE /v1.0/jobs/{name} and the same on /v1.0-alpha1 (dapr-jobs.md §1)."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import any_pb2, json_format
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..dapr_errors import DaprError
from ..jobs import JobNameInBodyError, JobRecord, JobSpec, parse_create_body
from ..jobs import operations as ops
from ..web import empty, json_response, parse_json, read_body
from ._context import services_of

VALUE_TYPE = "type.googleapis.com/google.protobuf.Value"


def _name(request: Request, *, trim: bool) -> str:
    """The URL's name; POST trims it (so ``%20`` is empty there), GET and DELETE do not."""
    name: str = request.path_params["name"]
    return name.strip() if trim else name


async def schedule_job(request: Request) -> Response:
    services = services_of(request)
    body = parse_json(await read_body(request), empty_as={})
    try:
        spec, overwrite = parse_create_body(body)
    except JobNameInBodyError:
        meta = {"appID": services.identity.app_id}  # daprd names no namespace here
        message = "Set the job name in the url only"
        code = "DAPR_SCHEDULER_JOB_NAME"
        raise DaprError(400, code, message, reason=code, metadata=meta) from None
    await ops.schedule(services, _name(request, trim=True), spec, overwrite)
    return empty()


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
        out["data"] = _data_json(spec)
    out["failurePolicy"] = spec.failure_policy.to_json()
    return out


def _data_json(spec: JobSpec) -> dict[str, Any]:
    """protojson of the job's Any: a Value as JSON, a known message type by its fields."""
    if spec.data_type is None:
        return {"@type": VALUE_TYPE, "value": json.loads(spec.data or "null")}
    if not spec.data_type:
        message = (
            "failed to encode response as JSON: proto: google.protobuf.Any: type_url is not set"
        )
        raise DaprError(500, "ERR_INTERNAL", message)
    data = any_pb2.Any(type_url=spec.data_type, value=spec.payload())
    try:
        rendered: dict[str, Any] = json_format.MessageToDict(data)
    except (TypeError, json_format.Error) as exc:
        raise DaprError(500, "ERR_INTERNAL", f"failed to encode response as JSON: {exc}") from exc
    return rendered


async def get_job(request: Request) -> Response:
    record = await ops.get(services_of(request), _name(request, trim=False))
    return json_response(render_job(record))


async def delete_job(request: Request) -> Response:
    await ops.delete(services_of(request), _name(request, trim=False))
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
