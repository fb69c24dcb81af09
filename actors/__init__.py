"""The ProjectManagementAgent actor: interface (wire names), actor class and pure domain."""

from ._actor import ProjectManagementAgent
from ._contracts import (
    ACTOR_TYPE,
    JOB_KINDS,
    AssignTask,
    JobKind,
    JobRecord,
    ListNotifications,
    ListTasks,
    TaskRef,
    TaskStatus,
    UpdateTask,
)
from ._errors import (
    DueDateInPastError,
    InvalidDurationError,
    InvalidFieldError,
    InvalidIdError,
    InvalidTimeError,
    RemoteTaskError,
    TaskConflictError,
    TaskError,
    TaskIdConflictError,
    TaskNotFoundError,
    error_from_wire,
)
from ._ids import JobName, job_name, notification_id, parse_job_name, validate_id
from ._ports import ActorServices, Clock, JobRequest, JobScheduler, Notifier, SystemClock
from ._serializer import PlainJSONSerializer
from ._times import format_duration, format_instant, parse_duration, parse_instant
from .interface import ProjectManagementAgentInterface

__all__ = [
    "ACTOR_TYPE",
    "JOB_KINDS",
    "ActorServices",
    "AssignTask",
    "Clock",
    "DueDateInPastError",
    "InvalidDurationError",
    "InvalidFieldError",
    "InvalidIdError",
    "InvalidTimeError",
    "JobKind",
    "JobName",
    "JobRecord",
    "JobRequest",
    "JobScheduler",
    "ListNotifications",
    "ListTasks",
    "Notifier",
    "PlainJSONSerializer",
    "ProjectManagementAgent",
    "ProjectManagementAgentInterface",
    "RemoteTaskError",
    "SystemClock",
    "TaskConflictError",
    "TaskError",
    "TaskIdConflictError",
    "TaskNotFoundError",
    "TaskRef",
    "TaskStatus",
    "UpdateTask",
    "error_from_wire",
    "format_duration",
    "format_instant",
    "job_name",
    "notification_id",
    "parse_duration",
    "parse_instant",
    "parse_job_name",
    "validate_id",
]
