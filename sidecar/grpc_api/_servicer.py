"""``dapr.proto.runtime.v1.Dapr``: one servicer made of the RPC groups, over the sidecar's
services (the same ones its HTTP routes use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dapr.proto.runtime.v1 import configuration_pb2, dapr_pb2, dapr_pb2_grpc

from ..actors import ActorRuntime
from ..pubsub import PubSubRuntime
from ._actors import ActorRpcs
from ._context import Context, Services
from ._invoke import InvokeRpcs
from ._jobs import JobRpcs
from ._lock import LockRpcs
from ._platform import PlatformRpcs
from ._pubsub import PubSubRpcs
from ._secrets import SecretRpcs
from ._state import StateRpcs
from ._unserved import answering, rule_for

DAPR_SERVICE = dapr_pb2.DESCRIPTOR.services_by_name["Dapr"]


class DaprApi(
    StateRpcs,
    JobRpcs,
    InvokeRpcs,
    ActorRpcs,
    PubSubRpcs,
    PlatformRpcs,
    SecretRpcs,
    LockRpcs,
    dapr_pb2_grpc.DaprServicer,
):
    """Every RPC of the installed proto: served, or answered as daprd answers without the
    building block (``_unserved``)."""

    def __init__(self, services: Services, extensions: Sequence[object]) -> None:
        self.services = services
        self.pubsub = next((e for e in extensions if isinstance(e, PubSubRuntime)), None)
        self.actors = next((e for e in extensions if isinstance(e, ActorRuntime)), None)

    async def UnsubscribeConfigurationAlpha1(
        self, request: Any, context: Context
    ) -> configuration_pb2.UnsubscribeConfigurationResponse:
        message = f"failed to unsubscribe to configuration request {request.id}: "
        return configuration_pb2.UnsubscribeConfigurationResponse(
            ok=False, message=message + "subscription does not exist"
        )

    UnsubscribeConfiguration = UnsubscribeConfigurationAlpha1


def _install_unserved() -> None:
    for method in DAPR_SERVICE.methods:
        rule = rule_for(method.name)
        if rule is not None:
            setattr(DaprApi, method.name, answering(rule))


_install_unserved()
