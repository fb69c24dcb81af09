"""Views across tasks and agents: the agents with open tasks, and an agent's calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from .._calendar import tasks_calendar
from .._views import agents_with_open_tasks
from ..deps import AgentId, Gateway, get_runtime
from ..schemas import ERRORS, AgentList

router = APIRouter(tags=["views"], responses=ERRORS)


@router.get("/agents", response_model=AgentList, summary="Agents with open tasks")
async def list_agents(request: Request) -> Any:
    return {"agents": await agents_with_open_tasks(get_runtime(request))}


@router.get(
    "/agents/{agent_id}/tasks.ics",
    response_class=Response,
    summary="The agent's due dates as an iCalendar feed",
    responses={200: {"content": {"text/calendar": {}}}},
)
async def calendar_feed(agent_id: AgentId, gateway: Gateway) -> Response:
    tasks = (await gateway.call(agent_id, "ListTasks", {}))["tasks"]
    body = tasks_calendar(agent_id, tasks, datetime.now(UTC))
    return Response(body, media_type="text/calendar; charset=utf-8")
