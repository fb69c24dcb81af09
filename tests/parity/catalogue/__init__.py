"""The parity catalogue: groups of exchanges, run in this order, one snapshot file each."""

from __future__ import annotations

from .._grpc import GrpcExchange
from .._model import Exchange
from . import actors, grpc, grpc_app, invoke, jobs, outbox, platform, pubsub, state

GROUPS: dict[str, list[Exchange] | list[GrpcExchange]] = {
    "jobs": jobs.EXCHANGES,
    "state": state.EXCHANGES,
    "invoke": invoke.EXCHANGES,
    "actors": actors.EXCHANGES,
    "pubsub": pubsub.EXCHANGES,
    "outbox": outbox.EXCHANGES,
    "platform": platform.EXCHANGES,
    "grpc": grpc.EXCHANGES,
    "grpc_app": grpc_app.EXCHANGES,
}
