"""What the sidecar gives its parts: narrow contracts instead of the whole ``Sidecar`` object.

The HTTP routes (``api/``) and the extensions (``actors/``, ``pubsub/``) are handed an object
that provides one of the protocols below, and use nothing else. ``Sidecar`` provides all of
them; a test may provide a stub with only what the part under test reads. Members are read-only:
a part changes the sidecar only through the methods listed here (``set_metadata``,
``request_shutdown``, ...), and adds to ``GET /v1.0/metadata`` by ``Extension.describe``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from starlette.routing import BaseRoute

from .app_channel import AppChannel
from .clock import Clock
from .components import Resources
from .jobs import Dispatcher, JobStore
from .lock import LockStore
from .metrics import SidecarMetrics
from .registry import Entry
from .secrets import SecretStore
from .state import StateStore
from .state.operations import Outbox


@dataclass(frozen=True)
class Identity:
    """Who this sidecar is: its app id and namespace, and its own entry in the registry."""

    app_id: str
    namespace: str
    instance: str  # unique per sidecar: ``{app_id}:{pid}:{object id}``


class Directory(Protocol):
    """The registry of the runtime home: which live sidecars serve an app or host an actor type."""

    async def lookup(self, app_id: str, namespace: str = "default") -> list[Entry]: ...

    async def hosts_of(self, actor_type: str, namespace: str = "default") -> list[Entry]: ...

    async def set_actor_types(self, instance: str, types: list[str]) -> None:
        """Record the actor types this sidecar (``instance``) hosts."""

    async def generation(self) -> int:
        """Grows whenever a sidecar registers or changes what it hosts."""

    async def activate(self, namespace: str, actor_type: str, actor_id: str, instance: str) -> str:
        """Record the actor as active on ``instance``; the live sidecar it is active on now."""

    async def deactivate(
        self, namespace: str, actor_type: str, actor_id: str, instance: str
    ) -> None:
        """Drop the record that the actor is active on ``instance``."""


class JobScheduling(Protocol):
    """The scheduler as parts drive it; the records themselves live in ``job_store``."""

    def wake(self) -> None:
        """A record was written or the clock moved: re-check the next deadline now."""

    def serve(self, owner: str, dispatcher: Dispatcher) -> None:
        """Fire ``owner``'s due records through ``dispatcher`` from now on."""

    def stop_serving(self, owner: str) -> None: ...


class AppServices(Protocol):
    """What every part uses: the app's identity, the clock, and the channel to the app."""

    @property
    def identity(self) -> Identity: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def app_channel(self) -> AppChannel | None:
        """Calls to the app; None when the sidecar has no app port."""


class PubSubServices(AppServices, Protocol):
    """What ``pubsub`` uses."""

    @property
    def resources(self) -> Resources:
        """Components and subscriptions in scope for this app (loaded before extensions start)."""

    @property
    def state_stores(self) -> Mapping[str, StateStore]:
        """The state stores (opened before extensions start): the outbox reads its markers."""


class Peers(Protocol):
    """Reaching the other sidecars of the runtime home."""

    @property
    def http(self) -> httpx.AsyncClient:
        """The outbound client (one connection pool for the sidecar)."""

    @property
    def internal_key(self) -> str:
        """The home's secret, sent on and checked on the forwarding routes (set at start)."""

    @property
    def registry(self) -> Directory: ...


class StoreServices(Protocol):
    """The stores: state stores by component name, and the job store with its scheduler."""

    @property
    def state_stores(self) -> Mapping[str, StateStore]: ...

    @property
    def secret_stores(self) -> Mapping[str, SecretStore]: ...

    @property
    def lock_stores(self) -> Mapping[str, LockStore]: ...

    @property
    def job_store(self) -> JobStore: ...

    @property
    def scheduler(self) -> JobScheduling: ...


class ActorServices(PubSubServices, Peers, StoreServices, Protocol):
    """What ``actors`` uses."""

    @property
    def metrics(self) -> SidecarMetrics | None:
        """The sidecar's metrics; None when they are off."""

    @property
    def actors_enabled(self) -> bool:
        """Whether actors are on (daprd with a placement address)."""


class ExtensionServices(ActorServices, Protocol):
    """Everything an extension may use: what the shipped extensions need together."""


class ApiServices(AppServices, Peers, StoreServices, Protocol):
    """What the HTTP API (``api/``) uses."""

    def next_index(self, key: str, n: int) -> int:
        """Round-robin position for load-balancing calls over ``n`` replicas."""

    def clock_moved(self) -> None:
        """The dev clock jumped: wake what sleeps on it."""

    def not_ready_targets(self) -> list[str]:
        """What the sidecar still waits for; empty once it is ready."""

    def metadata(self) -> dict[str, Any]:
        """The body of ``GET /v1.0/metadata``."""

    def set_metadata(self, key: str, value: str) -> None:
        """``PUT /v1.0/metadata/{key}``: an ``extended`` attribute."""

    def request_shutdown(self, *, force: bool = False) -> None: ...

    @property
    def outbox(self) -> Outbox | None:
        """The transactional outbox of the pub/sub runtime; None without one."""


class Extension(Protocol):
    """An optional runtime (actors, pub/sub) that plugs into the sidecar's lifecycle."""

    routes: list[BaseRoute]

    async def start(self) -> None: ...

    async def on_app_ready(self) -> None: ...

    def describe(self, metadata: dict[str, Any]) -> None:
        """Add this extension's part to the ``GET /v1.0/metadata`` body."""

    async def stop(self) -> None: ...


ExtensionFactory = Callable[[ExtensionServices], Extension]
