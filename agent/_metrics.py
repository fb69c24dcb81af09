"""The agent's metrics, counted from its answers (no route needs to know):
``pm_agent_tasks_total{status}``, tasks that entered ``open`` (assigned), ``done`` (completed) or
``cancelled`` through this app since it started; ``pm_agent_job_triggers_total{status}``, job
triggers from the sidecar by the status answered."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ID = r"[^/]+"
TRANSITIONS = (  # method, path, status answered -> the status the task entered
    ("POST", re.compile(rf"/agents/{_ID}/tasks"), 201, "open"),
    ("POST", re.compile(rf"/agents/{_ID}/tasks/{_ID}/complete"), 200, "done"),
    ("DELETE", re.compile(rf"/agents/{_ID}/tasks/{_ID}"), 204, "cancelled"),
)


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.tasks = Counter(
            "pm_agent_tasks",
            "Tasks that entered a status through this app.",
            ("status",),
            registry=self.registry,
        )
        self.triggers = Counter(
            "pm_agent_job_triggers",
            "Job triggers received, by the status answered.",
            ("status",),
            registry=self.registry,
        )

    def answered(self, method: str, path: str, status: int) -> None:
        if method == "POST" and path.startswith("/job/"):
            self.triggers.labels(str(status)).inc()
            return
        for verb, pattern, ok, entered in TRANSITIONS:
            if method == verb and status == ok and pattern.fullmatch(path):
                self.tasks.labels(entered).inc()
                return


class AnswerCounter:
    """ASGI middleware: tells ``metrics`` the method, path and status of every answer."""

    def __init__(self, app: ASGIApp, metrics: AgentMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.answered(scope["method"], scope["path"], message["status"])
            await send(message)

        await self.app(scope, receive, counted)
