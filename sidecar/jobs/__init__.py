"""Jobs and actor reminders: definitions, durable stores and the scheduler that fires them."""

from ._model import (
    DEFAULT_POLICY,
    FailurePolicy,
    JobRecord,
    JobSpec,
    PolicyKind,
    app_owner,
    reminder_owner,
)
from ._request import JobNameInBodyError, parse_create_body
from ._scheduler import LATE_AFTER, DeliveryObserver, Dispatcher, Outcome, Scheduler
from ._store import JobExistsError, JobStore
from ._timeline import JobValidationError, Plan, first_tick, make_plan, next_tick
from .memory import MemoryJobStore
from .sqlite import SqliteJobStore

__all__ = [
    "DEFAULT_POLICY",
    "LATE_AFTER",
    "DeliveryObserver",
    "Dispatcher",
    "FailurePolicy",
    "JobExistsError",
    "JobNameInBodyError",
    "JobRecord",
    "JobSpec",
    "JobStore",
    "JobValidationError",
    "MemoryJobStore",
    "Outcome",
    "Plan",
    "PolicyKind",
    "Scheduler",
    "SqliteJobStore",
    "app_owner",
    "first_tick",
    "make_plan",
    "next_tick",
    "parse_create_body",
    "reminder_owner",
]
