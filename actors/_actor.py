"""The ProjectManagementAgent actor: moves data between actor state, the job scheduler, the
notifier and the pure domain. All decisions live in :mod:`actors._domain`.

State layout: ``task_ids`` (list of ids), ``task.{id}`` (one task each), ``notifications``
(the last N notifications this agent sent).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from dapr.actor import Actor, ActorId

from . import _domain as domain
from ._contracts import (
    AssignTask,
    JobRecord,
    ListNotifications,
    ListTasks,
    TaskRef,
    UpdateTask,
    failed,
    ok,
    parse_request,
)
from ._domain import FireOutcome, Task
from ._errors import TaskError, TaskNotFoundError
from ._ids import validate_id
from ._ports import ActorServices, JobRequest
from ._times import from_timestamp
from .interface import ProjectManagementAgentInterface

logger = logging.getLogger(__name__)

_IDS = "task_ids"
_LOG = "notifications"
Operation = Callable[[Any], Awaitable[Any]]


class ProjectManagementAgent(Actor, ProjectManagementAgentInterface):
    """One agent's tasks. The actor id is the agent id."""

    services: ActorServices

    def __init__(self, ctx: Any, actor_id: ActorId, services: ActorServices) -> None:
        super().__init__(ctx, actor_id)
        self.bind(services)

    def bind(self, services: ActorServices) -> None:
        """Attach the services (also used on mock actors, which skip ``__init__``)."""
        self.services = services

    # -- wire methods -------------------------------------------------------------------------

    async def assign_task(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._assign, request)

    async def update_task(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._update, request)

    async def complete_task(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._close_with(domain.complete), request)

    async def cancel_task(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._close_with(domain.cancel), request)

    async def get_task(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._get, request)

    async def list_tasks(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._list, request)

    async def on_reminder_due(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._fire, request)

    async def list_notifications(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._notifications, request)

    # -- operations ---------------------------------------------------------------------------

    async def _assign(self, payload: Any) -> dict[str, Any]:
        req = parse_request(AssignTask, payload)
        task_id = validate_id("id", req.id) if req.id else self.services.new_task_id()
        proposed = domain.new_task(
            self._agent_id, task_id, req, self._now(), self.services.default_remind_before
        )
        existing = await self._load(task_id)
        if existing is not None:
            domain.ensure_same_assignment(existing, proposed)
            return {"task": domain.task_view(existing), "created": False}
        await self._sync_jobs(proposed)
        await self._store(proposed, new=True)
        logger.info("agent %s assigned task %s due %s", self._agent_id, task_id, req.due_at)
        return {"task": domain.task_view(proposed), "created": True}

    async def _update(self, payload: Any) -> dict[str, Any]:
        req = parse_request(UpdateTask, payload)
        task = await self._require(req.task_id)
        updated = domain.apply_update(task, req, self._now())
        if updated.schedule_version != task.schedule_version:
            await self._sync_jobs(updated)
        await self._store(updated)
        return domain.task_view(updated)

    def _close_with(self, rule: Callable[[Task, datetime], Task]) -> Operation:
        async def close(payload: Any) -> dict[str, Any]:
            task = await self._require(parse_request(TaskRef, payload).task_id)
            closed = rule(task, self._now())
            if closed is not task:
                await self._sync_jobs(closed)
                await self._store(closed)
            return domain.task_view(closed)

        return close

    async def _get(self, payload: Any) -> dict[str, Any]:
        return domain.task_view(await self._require(parse_request(TaskRef, payload).task_id))

    async def _list(self, payload: Any) -> dict[str, Any]:
        req = parse_request(ListTasks, payload)
        tasks = [t for t in await self._load_all() if _matches(t, req)]
        return {"tasks": [domain.task_view(t) for t in tasks]}

    async def _fire(self, payload: Any) -> dict[str, Any]:
        record = parse_request(JobRecord, payload)
        task = await self._load(record.task_id) if record.actor_id == self._agent_id else None
        outcome = domain.judge_fire(task, record)
        if outcome is not FireOutcome.NOTIFY or task is None:
            logger.info("dropping %s fire for task %s: %s", record.kind, record.task_id, outcome)
            return {"outcome": outcome.value}
        notification = domain.build_notification(task, record.kind, self._now())
        await self.services.notifier.send(notification)
        await self._store(domain.mark_notified(task, notification["id"]), log=notification)
        return {"outcome": outcome.value, "notification_id": notification["id"]}

    async def _notifications(self, payload: Any) -> dict[str, Any]:
        req = parse_request(ListNotifications, payload)
        sent: list[dict[str, Any]] = await self._get_state(_LOG, [])
        return {"notifications": [n for n in sent if req.task_id in (None, n["task_id"])]}

    # -- plumbing -----------------------------------------------------------------------------

    async def _envelope(self, operation: Operation, payload: Any) -> dict[str, Any]:
        try:
            return ok(await operation(payload))
        except TaskError as err:
            logger.info("agent %s: %s", self._agent_id, err)
            return failed(err)

    async def _sync_jobs(self, task: Task) -> None:
        """Make the scheduler hold exactly the jobs ``task`` needs (overwrite or delete)."""
        planned = domain.planned_jobs(task)
        for job in planned:
            await self.services.scheduler.schedule(
                JobRequest(job.name, job.due_time, job.record.to_wire())
            )
        if not planned:
            for name in domain.job_names(task):
                await self.services.scheduler.delete(name)

    async def _store(
        self, task: Task, new: bool = False, log: dict[str, Any] | None = None
    ) -> None:
        state = self._state_manager
        await state.set_state(_task_key(task.id), task.model_dump(mode="json"))
        if new:
            await state.set_state(_IDS, [*await self._get_state(_IDS, []), task.id])
        if log is not None:
            size = self.services.notification_log_size
            await state.set_state(_LOG, [*await self._get_state(_LOG, []), log][-size:])
        await state.save_state()

    async def _require(self, task_id: str) -> Task:
        task = await self._load(validate_id("task_id", task_id))
        if task is None:
            raise TaskNotFoundError(self._agent_id, task_id)
        return task

    async def _load(self, task_id: str) -> Task | None:
        raw = await self._get_state(_task_key(task_id), None)
        return Task.model_validate(raw) if raw is not None else None

    async def _load_all(self) -> list[Task]:
        tasks = [await self._load(task_id) for task_id in await self._get_state(_IDS, [])]
        return [t for t in tasks if t is not None]

    async def _get_state(self, key: str, default: Any) -> Any:
        found, value = await self._state_manager.try_get_state(key)
        return value if found else default

    def _now(self) -> datetime:
        return from_timestamp(self.services.clock.now())

    @property
    def _agent_id(self) -> str:
        return str(self.id.id)


def _task_key(task_id: str) -> str:
    return f"task.{task_id}"


def _matches(task: Task, req: ListTasks) -> bool:
    status_ok = req.status is None or task.status is req.status
    return status_ok and req.assignee in (None, task.assignee)
