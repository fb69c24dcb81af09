"""The task assignment API: thin handlers over the ProjectManagementAgent actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response, status

from actors import TaskStatus

from .._views import notifications
from ..deps import AgentId, Gateway, TaskId, get_runtime
from ..schemas import (
    ERRORS,
    NotificationList,
    SnoozeBody,
    TaskCreate,
    TaskList,
    TaskOut,
    TaskPatch,
    UpcomingList,
)

router = APIRouter(prefix="/agents/{agent_id}", tags=["tasks"], responses=ERRORS)


@router.post(
    "/tasks",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    summary="Assign a task",
    responses={200: {"model": TaskOut, "description": "Repeat of an earlier create (same id)."}},
)
async def assign_task(
    agent_id: AgentId, body: TaskCreate, gateway: Gateway, response: Response
) -> Any:
    result = await gateway.call(agent_id, "AssignTask", body.model_dump(exclude_none=True))
    task = result["task"]
    response.headers["Location"] = f"/agents/{agent_id}/tasks/{task['id']}"
    if not result["created"]:
        response.status_code = status.HTTP_200_OK
    return task


@router.get("/tasks", response_model=TaskList, summary="List tasks")
async def list_tasks(
    agent_id: AgentId,
    gateway: Gateway,
    status_filter: TaskStatus | None = Query(None, alias="status"),
    assignee: str | None = None,
) -> Any:
    query = {"status": status_filter, "assignee": assignee}
    return await gateway.call(agent_id, "ListTasks", {k: v for k, v in query.items() if v})


@router.get("/tasks/{task_id}", response_model=TaskOut, summary="Get a task")
async def get_task(agent_id: AgentId, task_id: TaskId, gateway: Gateway) -> Any:
    return await gateway.call(agent_id, "GetTask", {"task_id": task_id})


@router.patch("/tasks/{task_id}", response_model=TaskOut, summary="Update an open task")
async def update_task(agent_id: AgentId, task_id: TaskId, body: TaskPatch, gateway: Gateway) -> Any:
    changes = body.model_dump(exclude_none=True)
    return await gateway.call(agent_id, "UpdateTask", {"task_id": task_id, **changes})


@router.delete(
    "/tasks/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Cancel a task (its jobs are deleted; it stays readable as cancelled)",
)
async def cancel_task(agent_id: AgentId, task_id: TaskId, gateway: Gateway) -> Response:
    await gateway.call(agent_id, "CancelTask", {"task_id": task_id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/tasks/{task_id}/complete", response_model=TaskOut, summary="Complete a task")
async def complete_task(agent_id: AgentId, task_id: TaskId, gateway: Gateway) -> Any:
    return await gateway.call(agent_id, "CompleteTask", {"task_id": task_id})


@router.post(
    "/tasks/{task_id}/ack",
    response_model=TaskOut,
    summary="Acknowledge a task: its pending reminders and escalations stop (it stays open)",
)
async def acknowledge_task(agent_id: AgentId, task_id: TaskId, gateway: Gateway) -> Any:
    return await gateway.call(agent_id, "AcknowledgeTask", {"task_id": task_id})


@router.post(
    "/tasks/{task_id}/snooze",
    response_model=TaskOut,
    summary="Snooze a task: its next notification moves to later",
)
async def snooze_task(
    agent_id: AgentId, task_id: TaskId, body: SnoozeBody, gateway: Gateway
) -> Any:
    when = body.model_dump(by_alias=True, exclude_none=True)
    return await gateway.call(agent_id, "SnoozeTask", {"task_id": task_id, **when})


@router.get("/upcoming", response_model=UpcomingList, summary="The next fires of open tasks")
async def upcoming(
    agent_id: AgentId, gateway: Gateway, limit: int = Query(50, ge=1, le=1000)
) -> Any:
    return await gateway.call(agent_id, "Upcoming", {"limit": limit})


@router.get(
    "/notifications", response_model=NotificationList, summary="Notifications this agent sent"
)
async def list_notifications(
    agent_id: AgentId, request: Request, task_id: str | None = None
) -> Any:
    return {"notifications": await notifications(get_runtime(request), agent_id, task_id)}
