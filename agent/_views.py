"""Views across an agent's tasks, shared by the JSON API (``routes/``) and the console."""

from __future__ import annotations

from typing import Any

from ._runtime import AgentRuntime


async def agent_summary(runtime: AgentRuntime, agent_id: str) -> dict[str, Any] | None:
    """``{"agent_id", "open_tasks", "next_fire"}``; None when the agent has no open task."""
    gateway = runtime.gateway
    open_tasks = (await gateway.call(agent_id, "ListTasks", {"status": "open"}))["tasks"]
    if not open_tasks:
        return None
    fires = (await gateway.call(agent_id, "Upcoming", {"limit": 1}))["upcoming"]
    return {
        "agent_id": agent_id,
        "open_tasks": len(open_tasks),
        "next_fire": next(iter(fires), None),
    }


async def agents_with_open_tasks(runtime: AgentRuntime) -> list[dict[str, Any]]:
    found = [await agent_summary(runtime, a) for a in await runtime.directory.agents()]
    return [summary for summary in found if summary is not None]


async def notifications(
    runtime: AgentRuntime, agent_id: str, task_id: str | None = None
) -> list[dict[str, Any]]:
    """What the agent sent, each with the notifier's delivery status."""
    query = {"task_id": task_id} if task_id else {}
    sent = (await runtime.gateway.call(agent_id, "ListNotifications", query))["notifications"]
    status_of = await runtime.notifier.delivery_status(agent_id, task_id)
    return [_with_delivery(n, status_of) for n in sent]


def _with_delivery(note: dict[str, Any], status_of: dict[str, Any] | None) -> dict[str, Any]:
    record = (status_of or {}).get(note["id"])
    if status_of is None:
        return {**note, "delivery_status": "unknown"}
    if record is None:
        return {**note, "delivery_status": "not_stored"}
    return {**note, "delivery_status": record["status"], "deliveries": record.get("deliveries", [])}
