"""What the console shows, gathered through the same functions the JSON API uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .._runtime import AgentRuntime
from .._views import notifications

TIMELINE_LIMIT = 40
STATUS_ORDER = {"open": 0, "completed": 1, "cancelled": 2}


@dataclass(frozen=True)
class AgentView:
    agent_id: str
    tasks: list[dict[str, Any]]


@dataclass(frozen=True)
class ConsolePage:
    now: datetime
    agents: list[AgentView] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] | None = None


async def gather(runtime: AgentRuntime) -> ConsolePage:
    now = datetime.fromtimestamp(runtime.services.clock.now(), UTC)
    agents, fires, history = [], [], []
    for agent_id in await runtime.directory.agents():
        tasks = (await runtime.gateway.call(agent_id, "ListTasks", {}))["tasks"]
        upcoming = await runtime.gateway.call(agent_id, "Upcoming", {"limit": TIMELINE_LIMIT})
        agents.append(AgentView(agent_id, sorted(tasks, key=_task_order)))
        fires += upcoming["upcoming"]
        history += await notifications(runtime, agent_id)
    history.sort(key=lambda n: str(n["created_at"]), reverse=True)
    dead = await runtime.notifier.dead_letters()
    return ConsolePage(now, agents, timeline(now, fires), history, dead)


def _task_order(task: dict[str, Any]) -> tuple[int, str]:
    return STATUS_ORDER.get(task["status"], 9), str(task["due_at"])


def timeline(now: datetime, fires: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The next fires across agents, earliest first, each with ``offset``: its place (0-100)
    between now and the last fire shown."""
    first = sorted(fires, key=lambda f: str(f["at"]))[:TIMELINE_LIMIT]
    if not first:
        return []
    span = max((_at(first[-1]) - now).total_seconds(), 1.0)
    return [{**f, "offset": _offset(_at(f), now, span)} for f in first]


def _at(fire: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(fire["at"]))


def _offset(at: datetime, now: datetime, span: float) -> float:
    return round(min(max((at - now).total_seconds() / span, 0.0), 1.0) * 100, 1)
