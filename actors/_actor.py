"""The ProjectManagementAgent actor: moves data between actor state, the job scheduler, the
notifier and the pure domain. All decisions live in :mod:`actors._domain`.

State layout: ``task_ids`` (list of ids), ``task.{id}`` (one task each, see
:mod:`actors._task` for its versions), ``notifications`` (the last N notifications this agent
sent). One job per open task: its plan's first step; a fire that is handled schedules the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from dapr.actor import Actor, ActorId

from . import _domain as domain
from ._contracts import (
    AssignTask,
    JobRecord,
    ListNotifications,
    ListTasks,
    SnoozeTask,
    TaskRef,
    Upcoming,
    UpdateTask,
    failed,
    ok,
    parse_request,
)
from ._domain import FireOutcome
from ._errors import TaskError, TaskNotFoundError, TurnBusyError
from ._ids import validate_id
from ._ports import ActorServices, JobRequest
from ._task import Task, dump_task, load_task
from ._times import from_timestamp
from ._views import build_notification, fire_view, task_view
from .interface import ProjectManagementAgentInterface

logger = logging.getLogger(__name__)

_IDS = "task_ids"
_LOG = "notifications"
_LISTED = "listed"
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

    async def snooze_task(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._snooze, request)

    async def acknowledge_task(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._change_with(domain.acknowledge), request)

    async def upcoming(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._upcoming, request)

    async def reconcile(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._envelope(self._reconcile, request)

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
            return {"task": task_view(existing), "created": False}
        await self._sync_jobs(None, proposed)
        await self._store(proposed, new=True)
        await self._register()
        logger.info("agent %s assigned task %s due %s", self._agent_id, task_id, req.due_at)
        return {"task": task_view(proposed), "created": True}

    async def _update(self, payload: Any) -> dict[str, Any]:
        req = parse_request(UpdateTask, payload)
        task = await self._require(req.task_id)
        return await self._save_change(task, domain.apply_update(task, req, self._now()))

    async def _snooze(self, payload: Any) -> dict[str, Any]:
        req = parse_request(SnoozeTask, payload)
        task = await self._require(req.task_id)
        return await self._save_change(task, domain.snooze(task, req, self._now()))

    def _change_with(self, rule: Callable[[Task, datetime], Task]) -> Operation:
        async def change(payload: Any) -> dict[str, Any]:
            task = await self._require(parse_request(TaskRef, payload).task_id)
            return await self._save_change(task, rule(task, self._now()))

        return change

    def _close_with(self, rule: Callable[[Task, datetime], Task]) -> Operation:
        async def close(payload: Any) -> dict[str, Any]:
            task = await self._require(parse_request(TaskRef, payload).task_id)
            closed = rule(task, self._now())
            if closed is task:
                return task_view(task)
            later = domain.successor(task, self._now()) if rule is domain.complete else None
            await self._roll_over(later)
            return await self._save_change(task, domain.linked(closed, later))

        return close

    async def _get(self, payload: Any) -> dict[str, Any]:
        return task_view(await self._require(parse_request(TaskRef, payload).task_id))

    async def _list(self, payload: Any) -> dict[str, Any]:
        req = parse_request(ListTasks, payload)
        tasks = [t for t in await self._load_all() if _matches(t, req)]
        return {"tasks": [task_view(t) for t in tasks]}

    async def _upcoming(self, payload: Any) -> dict[str, Any]:
        req = parse_request(Upcoming, payload)
        fires = [
            (s.at, fire_view(t, s)) for t in await self._load_all() if t.is_open for s in t.plan
        ]
        fires.sort(key=lambda pair: pair[0])
        return {"upcoming": [view for _, view in fires[: req.limit]]}

    async def _fire(self, payload: Any) -> dict[str, Any]:
        record = parse_request(JobRecord, payload)
        task = await self._load(record.task_id) if record.actor_id == self._agent_id else None
        outcome = domain.judge_fire(task, record)
        if task is None or outcome not in (FireOutcome.NOTIFY, FireOutcome.RECUR):
            logger.info(
                "dropping %s fire for task %s: %s", record.step_key, record.task_id, outcome
            )
            return {"outcome": outcome.value}
        firing = task.job_of(task.plan[0])
        if outcome is FireOutcome.RECUR:
            later = domain.successor(task, self._now())
            await self._roll_over(later)
            done = domain.linked(domain.fired(task, None), later)
            await self._save_change(task, done, firing=firing)
            return {"outcome": outcome.value, "next_instance": later.id if later else None}
        notification = build_notification(task, task.plan[0], self._now())
        await self.services.notifier.send(notification)
        done = domain.fired(task, notification["id"])
        await self._save_change(task, done, firing=firing, log=notification)
        return {"outcome": outcome.value, "notification_id": notification["id"]}

    async def _reconcile(self, _: Any) -> dict[str, Any]:
        now, missed = self._now(), []
        for task in await self._load_all():
            step = domain.overdue_step(task, now, self.services.missed_grace)
            if step is None or await self.services.scheduler.exists(task.job_of(step)):
                continue
            what = f"the {step.key} job of task {task.id} (due {step.at.isoformat()})"
            logger.error(
                "agent %s: %s is gone: its failure policy ran out; firing it again",
                self._agent_id,
                what,
            )
            await self._save_change(task, domain.refire(task, step, now))
            missed.append({"task_id": task.id, "step": step.key})
        return {"missed": missed}

    async def _notifications(self, payload: Any) -> dict[str, Any]:
        req = parse_request(ListNotifications, payload)
        sent: list[dict[str, Any]] = await self._get_state(_LOG, [])
        return {"notifications": [n for n in sent if req.task_id in (None, n["task_id"])]}

    # -- plumbing -----------------------------------------------------------------------------

    async def _envelope(self, operation: Operation, payload: Any) -> dict[str, Any]:
        async with self._turn():
            try:
                return ok(await operation(payload))
            except TaskError as err:
                logger.info("agent %s: %s", self._agent_id, err)
                return failed(err)

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        lock, wait = self.services.turns.of(self._agent_id), self.services.turn_wait
        try:
            async with asyncio.timeout(wait.total_seconds()):
                await lock.acquire()
        except TimeoutError:
            raise TurnBusyError(self._agent_id, wait.total_seconds()) from None
        try:
            yield
        finally:
            lock.release()

    async def _save_change(
        self,
        before: Task,
        after: Task,
        firing: str | None = None,
        log: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if after is not before:
            if _plan_of(after) != _plan_of(before):
                await self._sync_jobs(before, after, firing)
            await self._store(after, log=log)
        return task_view(after)

    async def _register(self) -> None:
        """List this agent in the directory, once (GET /agents, the periodic self-check)."""
        if not await self._get_state(_LISTED, False):
            await self.services.directory.add(self._agent_id)
            await self._state_manager.set_state(_LISTED, True)
            await self._state_manager.save_state()

    async def _roll_over(self, instance: Task | None) -> None:
        """Create a recurring task's next instance (once: its id is deterministic)."""
        if instance is None or await self._load(instance.id) is not None:
            return
        await self._sync_jobs(None, instance)
        await self._store(instance, new=True)
        logger.info("agent %s: task %s is the next instance", self._agent_id, instance.id)

    async def _sync_jobs(self, before: Task | None, after: Task, firing: str | None = None) -> None:
        """Make the scheduler hold exactly the job ``after`` needs: its first step's (created or
        overwritten); every other job ``before`` had is deleted, except the one firing now (the
        scheduler removes it when the fire is answered)."""
        job = domain.next_job(after)
        if job is not None:
            await self.services.scheduler.schedule(
                JobRequest(job.name, job.step.at, job.record.to_wire())
            )
        keep = {job.name if job else None, firing}
        for name in before.scheduled if before is not None else ():
            if name not in keep:
                await self.services.scheduler.delete(name)

    async def _store(
        self, task: Task, new: bool = False, log: dict[str, Any] | None = None
    ) -> None:
        state = self._state_manager
        await state.set_state(_task_key(task.id), dump_task(task))
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
        """The task, or None; an id not in ``task_ids`` (kept in the state cache between turns,
        written in the same transaction as each new task) is not looked up in the store."""
        if task_id not in await self._get_state(_IDS, []):
            return None
        return await self._read(task_id)

    async def _read(self, task_id: str) -> Task | None:
        raw = await self._get_state(_task_key(task_id), None)
        return load_task(raw) if raw is not None else None

    async def _load_all(self) -> list[Task]:
        tasks = [await self._read(task_id) for task_id in await self._get_state(_IDS, [])]
        return [t for t in tasks if t is not None]

    async def _get_state(self, key: str, default: Any) -> Any:
        found, value = await self._state_manager.try_get_state(key)
        return value if found else default

    def _now(self) -> datetime:
        return from_timestamp(self.services.clock.now())

    @property
    def _agent_id(self) -> str:
        return str(self.id.id)


def _plan_of(task: Task) -> tuple[object, ...]:
    return (task.status, task.schedule_version, task.plan)


def _task_key(task_id: str) -> str:
    return f"task.{task_id}"


def _matches(task: Task, req: ListTasks) -> bool:
    status_ok = req.status is None or task.status is req.status
    return status_ok and req.assignee in (None, task.assignee)
