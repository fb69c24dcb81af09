"""Shared request dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from actors import validate_id

from ._gateway import AgentGateway
from ._jobs import JobsClient
from ._runtime import AgentRuntime


def get_runtime(request: Request) -> AgentRuntime:
    runtime: AgentRuntime = request.app.state.runtime
    return runtime


def get_gateway(request: Request) -> AgentGateway:
    return get_runtime(request).gateway


def get_jobs(request: Request) -> JobsClient:
    return get_runtime(request).jobs


def agent_id(agent_id: Annotated[str, Path(description="Agent id (the actor id).")]) -> str:
    return validate_id("agent_id", agent_id)


def task_id(task_id: Annotated[str, Path(description="Task id.")]) -> str:
    return validate_id("task_id", task_id)


Gateway = Annotated[AgentGateway, Depends(get_gateway)]
Jobs = Annotated[JobsClient, Depends(get_jobs)]
AgentId = Annotated[str, Depends(agent_id)]
TaskId = Annotated[str, Depends(task_id)]
