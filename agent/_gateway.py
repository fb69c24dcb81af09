"""Calls into ProjectManagementAgent actors through the sidecar (``ActorProxy``)."""

from __future__ import annotations

import json
import logging
from typing import Any

from dapr.actor import ActorId, ActorProxy

from actors import (
    ACTOR_TYPE,
    JobRecord,
    PlainJSONSerializer,
    ProjectManagementAgentInterface,
    TaskError,
    error_from_wire,
)

from ._actor_client import HttpxActorClient
from ._sidecar_client import SidecarError

logger = logging.getLogger(__name__)


class ActorCallFailedError(Exception):
    """The actor could not be reached or failed (not a domain error); worth retrying."""

    def __init__(self, agent_id: str, method: str, cause: str) -> None:
        super().__init__(f"calling {ACTOR_TYPE}/{agent_id}.{method} failed: {cause}")
        self.agent_id = agent_id
        self.method = method


class AgentGateway:
    """One method per use: unwraps the actor's envelope, raising its domain errors."""

    def __init__(self, client: HttpxActorClient) -> None:
        self._client = client
        self._serializer = PlainJSONSerializer()

    async def call(self, agent_id: str, method: str, payload: dict[str, Any]) -> Any:
        proxy = ActorProxy(
            self._client,
            ACTOR_TYPE,
            ActorId(agent_id),
            ProjectManagementAgentInterface,
            self._serializer,
        )
        try:
            raw = await proxy.invoke_method(method, self._serializer.serialize(payload))
        except SidecarError as exc:
            raise ActorCallFailedError(agent_id, method, exc.message or str(exc)) from exc
        return _unwrap(agent_id, method, raw)

    async def fire(self, record: JobRecord) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(record.actor_id, "OnReminderDue", record.to_wire())
        return result


def _unwrap(agent_id: str, method: str, raw: bytes) -> Any:
    try:
        envelope = json.loads(raw)
        if envelope["ok"]:
            return envelope["value"]
        error: TaskError = error_from_wire(envelope["error"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ActorCallFailedError(agent_id, method, f"unexpected answer {raw[:200]!r}") from exc
    raise error
