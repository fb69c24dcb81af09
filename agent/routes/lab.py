"""The lab (TaskExecutorService): schedule, inspect and delete jobs by hand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response, status

from .._errors import InvalidJobError
from .._lab import decode, default_lab_data, execute_scheduled_task
from .._sidecar_client import SidecarError
from ..deps import Jobs
from ..schemas import ERRORS, LabAck, LabScheduled

router = APIRouter(tags=["lab"], responses=ERRORS)
NAME_PATTERN = r"^[^/\\#?\s\x00-\x1f\x7f]+$"  # Dapr's name rule; control characters break URLs
JobName = Annotated[str, Path(min_length=1, max_length=200, pattern=NAME_PATTERN)]
# What the Jobs API's "job failed validation: <why>" says (dapr-jobs.md §1.3 (c)) -> parameter
REFUSED_WORDS = (("due time", "due_time"), ("repeat", "repeats"))


@router.post("/executeScheduledTask", response_model=LabAck, summary="Run the lab task")
async def execute(request: Request) -> LabAck:
    execute_scheduled_task(decode(await request.body()))
    return LabAck()


@router.post(
    "/programmatic/schedule-task",
    response_model=LabScheduled,
    status_code=status.HTTP_201_CREATED,
    summary="Schedule a lab job through the Jobs API",
)
async def schedule_task(
    jobs: Jobs,
    job_name: Annotated[str, Query(min_length=1, max_length=200, pattern=NAME_PATTERN)],
    schedule: Annotated[str | None, Query(description="Cron (6 fields) or @every 10s")] = None,
    repeats: Annotated[int | None, Query(ge=1)] = None,
    due_time: Annotated[str | None, Query(description="RFC 3339, Go or ISO duration")] = None,
    data: Annotated[Any, Body(description="Task data; defaults to a greeting.")] = None,
) -> LabScheduled:
    body: dict[str, Any] = {"schedule": schedule, "repeats": repeats, "dueTime": due_time}
    body = {k: v for k, v in body.items() if v is not None}
    if isinstance(data, bytes):  # a non-JSON content type: FastAPI hands over the raw body
        data = decode(data)
    body["data"] = data if data is not None else default_lab_data(job_name)
    body["overwrite"] = True
    try:
        await jobs.put(job_name, body)
    except SidecarError as exc:
        raise _refused_or(exc) from exc
    return LabScheduled(job_name=job_name, scheduled=body)


@router.get("/programmatic/task-status/{job_name}", summary="Read a lab job")
async def task_status(job_name: JobName, jobs: Jobs) -> dict[str, Any]:
    try:
        return await jobs.get(job_name)
    except SidecarError as exc:
        raise _not_found_or(exc) from exc


@router.delete(
    "/programmatic/delete-task/{job_name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a lab job",
)
async def delete_task(job_name: JobName, jobs: Jobs) -> Response:
    await jobs.delete(job_name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _not_found_or(exc: SidecarError) -> SidecarError:
    """Dapr answers a missing job with 500 ``NotFound``; REST users expect 404."""
    if "not found" in exc.message.lower() or "notfound" in exc.message.lower():
        return SidecarError(404, "ERR_JOB_NOT_FOUND", exc.message)
    return exc


def _refused_or(exc: SidecarError) -> Exception:
    """Dapr answers a value it cannot parse with 500 ``job failed validation``: the caller's."""
    _, marker, why = exc.message.partition("job failed validation: ")
    if not marker:
        return exc
    field = next((param for words, param in REFUSED_WORDS if words in why), "schedule")
    return InvalidJobError(field, f"the Jobs API refused it: {why}")
