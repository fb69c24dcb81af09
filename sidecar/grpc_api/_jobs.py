"""Jobs RPCs (Alpha1 and stable forms) over the operations the HTTP routes use."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

from dapr.proto.runtime.v1 import jobs_pb2
from google.protobuf import any_pb2, json_format, struct_pb2

from ..jobs import JobRecord, JobSpec, parse_create_body
from ..jobs import operations as ops
from ._context import Context, Services

VALUE_TYPE = "type.googleapis.com/google.protobuf.Value"


def job_spec(job: Any, overwrite: bool) -> tuple[JobSpec, bool]:
    """A ``runtime.v1.Job`` as the HTTP body it stands for, decoded by the same rules; data of
    another type than Value is kept as it came (type URL and bytes)."""
    fields = jobs_pb2.Job()
    fields.CopyFrom(job)
    fields.ClearField("data")  # an Any of any type, not for protojson
    fields.ClearField("name")
    body: dict[str, Any] = json_format.MessageToDict(fields)
    body["overwrite"] = overwrite
    data = job.data if job.HasField("data") else None
    if data is not None and data.type_url == VALUE_TYPE:
        value = struct_pb2.Value()
        data.Unpack(value)
        body["data"] = json_format.MessageToDict(value)
    spec, overwrite = parse_create_body(body)
    if data is not None and data.type_url != VALUE_TYPE:
        encoded = base64.b64encode(data.value).decode()
        spec = replace(spec, data=encoded, data_type=data.type_url)
    return spec, overwrite


def job_message(record: JobRecord) -> jobs_pb2.Job:
    spec = record.spec
    job = jobs_pb2.Job(name=record.name)
    for field in ("schedule", "repeats", "due_time", "ttl"):
        value = getattr(spec, field)
        if value is not None:
            setattr(job, field, value)
    if spec.data is not None:
        job.data.CopyFrom(_data(spec))
    json_format.ParseDict(spec.failure_policy.to_json(), job.failure_policy)
    return job


def _data(spec: JobSpec) -> any_pb2.Any:
    if spec.data_type is not None:
        return any_pb2.Any(type_url=spec.data_type, value=spec.payload())
    packed = any_pb2.Any()
    packed.Pack(json_format.ParseDict(json.loads(spec.data or "null"), struct_pb2.Value()))
    return packed


class JobRpcs:
    services: Services

    async def ScheduleJobAlpha1(
        self, request: Any, context: Context
    ) -> jobs_pb2.ScheduleJobResponse:
        if not request.HasField("job"):
            raise ops.kit(self.services, 400, "DAPR_SCHEDULER_EMPTY", "Job is empty")
        spec, overwrite = job_spec(request.job, request.overwrite)
        await ops.schedule(self.services, request.job.name, spec, overwrite)
        return jobs_pb2.ScheduleJobResponse()

    async def GetJobAlpha1(self, request: Any, context: Context) -> jobs_pb2.GetJobResponse:
        record = await ops.get(self.services, request.name)
        return jobs_pb2.GetJobResponse(job=job_message(record))

    async def DeleteJobAlpha1(self, request: Any, context: Context) -> jobs_pb2.DeleteJobResponse:
        await ops.delete(self.services, request.name)
        return jobs_pb2.DeleteJobResponse()

    async def ListJobsAlpha1(
        self, request: Any, context: Context
    ) -> jobs_pb2.ListJobsResponseAlpha1:
        records = await ops.list_jobs(self.services)
        return jobs_pb2.ListJobsResponseAlpha1(jobs=[job_message(r) for r in records])

    async def ListJobs(self, request: Any, context: Context) -> jobs_pb2.ListJobsResponse:
        records = await ops.list_jobs(self.services)
        return jobs_pb2.ListJobsResponse(jobs=[job_message(r) for r in records])

    async def DeleteJobsByPrefixAlpha1(
        self, request: Any, context: Context
    ) -> jobs_pb2.DeleteJobsByPrefixResponseAlpha1:
        await ops.delete_by_prefix(self.services, request.name_prefix)
        return jobs_pb2.DeleteJobsByPrefixResponseAlpha1()

    async def DeleteJobsByPrefix(
        self, request: Any, context: Context
    ) -> jobs_pb2.DeleteJobsByPrefixResponse:
        await ops.delete_by_prefix(self.services, request.name_prefix)
        return jobs_pb2.DeleteJobsByPrefixResponse()

    ScheduleJob = ScheduleJobAlpha1
    GetJob = GetJobAlpha1
    DeleteJob = DeleteJobAlpha1
