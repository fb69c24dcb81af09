"""Dapr actors for the local sidecar: placement, turn-based concurrency, state, reminders and
timers."""

from ._actor_runtime import ActorRuntime

__all__ = ["ActorRuntime"]
