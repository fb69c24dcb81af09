"""``POST /job/{name}``: the sidecar's job trigger. Task jobs go to their actor, others to the lab.

The data record decides (it is the source of truth); the name only cross-checks it. Any failure
to reach the actor answers 503 so the job's failure policy retries (404 would count as success).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from actors import JOB_KINDS, JobRecord, TaskError, parse_job_name
from appkit.edge import error_json

from .._gateway import ActorCallFailedError
from .._jobs import continued
from .._lab import decode, execute_scheduled_task
from ..deps import Gateway
from ..schemas import ErrorBody

logger = logging.getLogger(__name__)
router = APIRouter(tags=["dapr"], responses={401: {"model": ErrorBody}})


@router.post("/job/{name}", summary="Job trigger (called by the Dapr sidecar)")
async def job_trigger(name: str, request: Request, gateway: Gateway) -> JSONResponse:
    data = decode(await request.body())
    record = _record_of(data)
    if record is not None:
        return await _fire(name, record, gateway, data)
    if parse_job_name(name, JOB_KINDS) is not None:
        logger.error("job %s has no valid routing record (%r); dropping it", name, data)
        return JSONResponse({"status": "dropped"})
    execute_scheduled_task(data)
    return JSONResponse({"status": "ok"})


async def _fire(
    name: str, record: JobRecord, gateway: Gateway, trace: dict[str, Any]
) -> JSONResponse:
    _cross_check(name, record)
    try:
        with continued(trace):  # the trace of the call that scheduled the job
            result = await gateway.fire(record)
    except ActorCallFailedError as exc:
        logger.warning("job %s: %s; answering 503 so it is retried", name, exc)
        return error_json(status.HTTP_503_SERVICE_UNAVAILABLE, "ERR_ACTOR_CALL_FAILED", str(exc))
    except TaskError as exc:
        logger.error("job %s rejected by the actor: %s; dropping it", name, exc)
        return JSONResponse({"status": "dropped", "error": exc.to_wire()})
    logger.info("job %s for %s/%s: %s", name, record.actor_id, record.task_id, result["outcome"])
    return JSONResponse({"status": "ok", **result})


def _record_of(data: Any) -> JobRecord | None:
    if not isinstance(data, dict) or "actorType" not in data:
        return None
    try:
        return JobRecord.model_validate(data)
    except ValidationError:
        return None


def _cross_check(name: str, record: JobRecord) -> None:
    parsed = parse_job_name(name, JOB_KINDS)
    ids = (record.actor_id, record.task_id)
    if parsed is None or parsed.kind != record.kind or parsed.agent_id not in (None, ids[0]):
        logger.warning("job name %s does not match its record %s; trusting the record", name, ids)
