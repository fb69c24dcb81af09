"""Tools for LLM agents: an MCP server (the ``mcp`` package) on the agent app, streamable HTTP
at ``/mcp``. Each tool is one actor call through the same gateway as the REST API, so the rules,
errors and ids are the same; a domain error comes back as a tool error (``is_error``) whose text
ends with the REST error body (``errorCode``, ``message``, ``details.field``) as JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from actors import TaskError
from appkit.edge import error_json

from ._gateway import ActorCallFailedError, AgentGateway

AgentArg = Annotated[str, Field(description="Agent id (whose tasks): [A-Za-z0-9][A-Za-z0-9_.-]*")]
TaskArg = Annotated[str, Field(description="Task id.")]
Duration = Annotated[str, Field(description="ISO 8601 (PT2H, P1D) or Go (2h, 90m) duration.")]
Instant = Annotated[
    str, Field(description="RFC 3339 time with offset, e.g. 2030-01-01T09:00:00+01:00.")
]

INSTRUCTIONS = (
    "Schedule your own follow-ups: assign a task with a due time and it reminds the assignee "
    "before it (reminders), notifies them at due and escalates to others after it (escalation) "
    "until acknowledged; recurring tasks take an RFC 5545 RRULE. Times are RFC 3339 with an "
    "offset; durations ISO 8601 or Go form."
)


def build_server(gateway: Callable[[], AgentGateway]) -> MCPServer:
    """The server; ``gateway`` gives the app's gateway once its lifespan has built it."""
    server = MCPServer("pm-reminder-agent", instructions=INSTRUCTIONS)
    tools = _Tools(gateway)
    named: list[tuple[str, Callable[..., Any]]] = [
        ("assign", tools.assign),
        ("list", tools.list_tasks),
        ("get", tools.get),
        ("update", tools.update),
        ("complete", tools.complete),
        ("cancel", tools.cancel),
        ("snooze", tools.snooze),
        ("acknowledge", tools.acknowledge),
        ("upcoming", tools.upcoming),
        ("history", tools.history),
    ]
    for name, method in named:
        server.tool(name=name)(method)
    return server


class Endpoint:
    """The ``/mcp`` route's ASGI app: forwards to the streamable HTTP app of the running
    lifespan (each lifespan makes its own: an app's lifespan may run more than once, and a
    session manager runs only once)."""

    def __init__(self) -> None:
        self.current: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.current is None:
            response = error_json(503, "ERR_MCP_UNAVAILABLE", "the MCP server is not running")
            await response(scope, receive, send)
            return
        await self.current(scope, receive, send)


def route(endpoint: Endpoint) -> Route:
    return Route("/mcp", endpoint=endpoint, methods=["GET", "POST", "DELETE"])


@contextlib.asynccontextmanager
async def serving(server: MCPServer, endpoint: Endpoint, host: str) -> AsyncIterator[None]:
    """Serve ``/mcp`` for one lifespan. The session manager runs in a task of its own: its task
    group must be entered and left in one task, and a lifespan may be left in another.
    DNS-rebinding protection follows ``host``."""
    app = server.streamable_http_app(streamable_http_path="/mcp", host=host, json_response=True)
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with server.session_manager.run():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # raises what stopped it
    endpoint.current = app
    try:
        yield
    finally:
        endpoint.current = None
        stop.set()
        await task


class _Tools:
    def __init__(self, gateway: Callable[[], AgentGateway]) -> None:
        self._gateway = gateway

    async def _call(self, agent_id: str, method: str, payload: dict[str, Any]) -> Any:
        try:
            return await self._gateway().call(agent_id, method, payload)
        except TaskError as exc:
            raise ToolError(json.dumps(exc.to_wire())) from exc
        except ActorCallFailedError as exc:
            raise ToolError(f"the agent could not be reached, try again: {exc}") from exc

    async def assign(
        self,
        agent_id: AgentArg,
        title: Annotated[str, Field(min_length=1, max_length=200)],
        assignee: Annotated[str, Field(description="Who gets the reminders.")],
        due_at: Instant,
        id: Annotated[str | None, Field(description="Task id; makes a repeat idempotent.")] = None,
        description: str = "",
        reminders: Annotated[
            list[str] | None, Field(description="Lead times before due, e.g. ['P1D', 'PT1H'].")
        ] = None,
        escalate_to: Annotated[
            list[str] | None, Field(description="Notified at due, then every `every`, until ack.")
        ] = None,
        every: Annotated[Duration | None, Field(description="Between escalations.")] = None,
        max_escalations: Annotated[int, Field(ge=1, le=50)] = 3,
        recurrence: Annotated[
            str | None, Field(description="RRULE, e.g. FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=0.")
        ] = None,
        time_zone: Annotated[str, Field(description="IANA zone (display, recurrence).")] = "UTC",
    ) -> dict[str, Any]:
        """Assign a task with a due time, its reminders, escalation and recurrence."""
        body: dict[str, Any] = {"title": title, "assignee": assignee, "due_at": due_at}
        body |= {"description": description, "time_zone": time_zone}
        body |= _present(id=id, reminders=reminders, recurrence=recurrence)
        if escalate_to:
            body["escalation"] = {"escalate_to": escalate_to, "every": every or "PT4H"}
            body["escalation"]["max"] = max_escalations
        result: dict[str, Any] = await self._call(agent_id, "AssignTask", body)
        return result["task"]  # type: ignore[no-any-return]

    async def list_tasks(
        self,
        agent_id: AgentArg,
        status: Annotated[str | None, Field(description="open, completed or cancelled")] = None,
        assignee: str | None = None,
    ) -> dict[str, Any]:
        """List an agent's tasks, optionally by status and assignee."""
        return await self._call(agent_id, "ListTasks", _present(status=status, assignee=assignee))  # type: ignore[no-any-return]

    async def get(self, agent_id: AgentArg, task_id: TaskArg) -> dict[str, Any]:
        """One task: its plan (next_fires), the notifications sent, missed fires."""
        return await self._call(agent_id, "GetTask", {"task_id": task_id})  # type: ignore[no-any-return]

    async def update(
        self,
        agent_id: AgentArg,
        task_id: TaskArg,
        title: str | None = None,
        description: str | None = None,
        assignee: str | None = None,
        due_at: Instant | None = None,
        reminders: list[str] | None = None,
        recurrence: Annotated[
            str | None, Field(description="New rule, future instances; '' ends.")
        ] = None,
        time_zone: str | None = None,
    ) -> dict[str, Any]:
        """Change an open task; a new due time, reminders or assignee plans it afresh."""
        changes = _present(
            title=title,
            description=description,
            assignee=assignee,
            due_at=due_at,
            reminders=reminders,
            recurrence=recurrence,
            time_zone=time_zone,
        )
        return await self._call(agent_id, "UpdateTask", {"task_id": task_id, **changes})  # type: ignore[no-any-return]

    async def complete(self, agent_id: AgentArg, task_id: TaskArg) -> dict[str, Any]:
        """Mark a task done (a recurring task's next instance is created)."""
        return await self._call(agent_id, "CompleteTask", {"task_id": task_id})  # type: ignore[no-any-return]

    async def cancel(self, agent_id: AgentArg, task_id: TaskArg) -> dict[str, Any]:
        """Cancel a task (and, for a recurring task, its series)."""
        return await self._call(agent_id, "CancelTask", {"task_id": task_id})  # type: ignore[no-any-return]

    async def snooze(
        self,
        agent_id: AgentArg,
        task_id: TaskArg,
        snooze_for: Annotated[Duration | None, Field(description="How long, from now.")] = None,
        until: Instant | None = None,
    ) -> dict[str, Any]:
        """Move the task's next notification: `snooze_for` a duration, or `until` a time."""
        body = {"task_id": task_id, **_present(until=until)}
        if snooze_for is not None:
            body["for"] = snooze_for
        return await self._call(agent_id, "SnoozeTask", body)  # type: ignore[no-any-return]

    async def acknowledge(self, agent_id: AgentArg, task_id: TaskArg) -> dict[str, Any]:
        """Stop the task's pending reminders and escalations (it stays open)."""
        return await self._call(agent_id, "AcknowledgeTask", {"task_id": task_id})  # type: ignore[no-any-return]

    async def upcoming(
        self, agent_id: AgentArg, limit: Annotated[int, Field(ge=1, le=1000)] = 20
    ) -> dict[str, Any]:
        """The agent's next fires across its open tasks, with times in each task's zone."""
        return await self._call(agent_id, "Upcoming", {"limit": limit})  # type: ignore[no-any-return]

    async def history(self, agent_id: AgentArg, task_id: TaskArg | None = None) -> dict[str, Any]:
        """Notifications the agent sent (reminders, due notices, escalations), oldest first."""
        return await self._call(agent_id, "ListNotifications", _present(task_id=task_id))  # type: ignore[no-any-return]


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
