"""The agent app: task API, job callback router, lab endpoints, and the actor host."""

from ._settings import AgentSettings, JobsApiVersion
from .app import create_app

__all__ = ["AgentSettings", "JobsApiVersion", "create_app"]
