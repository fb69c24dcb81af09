"""The Dapr gRPC API (``dapr.proto.runtime.v1.Dapr``) over the sidecar's services."""

from ._server import GrpcApi

__all__ = ["GrpcApi"]
