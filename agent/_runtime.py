"""The agent's long-lived objects, built once per app lifespan around one httpx client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from dapr.actor import ActorId

from actors import ActorServices, Clock, ProjectManagementAgent, SystemClock

from ._actor_client import HttpxActorClient
from ._directory import StateDirectory
from ._gateway import AgentGateway
from ._invoke import NotifierClient
from ._jobs import JobsClient
from ._settings import AgentSettings
from ._sidecar_client import SidecarClient


@dataclass(frozen=True)
class AgentRuntime:
    settings: AgentSettings
    sidecar: SidecarClient
    jobs: JobsClient
    actor_client: HttpxActorClient
    gateway: AgentGateway
    services: ActorServices
    directory: StateDirectory
    notifier: NotifierClient

    @classmethod
    def build(
        cls, settings: AgentSettings, client: httpx.AsyncClient, clock: Clock | None = None
    ) -> AgentRuntime:
        sidecar = SidecarClient(client, settings.dapr_http_endpoint, settings.dapr_api_token)
        jobs = JobsClient(sidecar, settings)
        actor_client = HttpxActorClient(sidecar)
        directory = StateDirectory(sidecar, settings.state_store)
        notifier = NotifierClient(sidecar, settings.notifier_app_id)
        services = ActorServices(
            scheduler=jobs,
            notifier=notifier,
            clock=clock or SystemClock(),
            default_remind_before=settings.default_remind_before,
            directory=directory,
            missed_grace=settings.missed_grace,
            turn_wait=timedelta(seconds=settings.http_timeout / 2),
        )
        gateway = AgentGateway(actor_client)
        return cls(settings, sidecar, jobs, actor_client, gateway, services, directory, notifier)

    def create_actor(self, ctx: Any, actor_id: ActorId) -> ProjectManagementAgent:
        return ProjectManagementAgent(ctx, actor_id, self.services)
