"""The gRPC API server of one sidecar: grpc.aio on the sidecar's event loop."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from dapr.proto.runtime.v1 import dapr_pb2_grpc
from grpc import aio

from ._context import Services
from ._edge import Edge
from ._servicer import DaprApi

log = logging.getLogger(__name__)


class GrpcApi:
    """``dapr.proto.runtime.v1.Dapr`` on ``host:port`` (0: a free port), with daprd's API token
    rule and message size limit (``--max-body-size`` for both directions)."""

    def __init__(
        self,
        services: Services,
        extensions: Sequence[object],
        *,
        api_token: str | None,
        max_message_size: int,
    ) -> None:
        self.services = services
        self.extensions = extensions
        self.api_token = api_token
        self.max_message_size = max_message_size
        self.port = 0
        self._server: aio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        options = [
            ("grpc.max_receive_message_length", self.max_message_size),
            ("grpc.max_send_message_length", self.max_message_size),
            ("grpc.so_reuseport", 0),
        ]
        server = aio.server(interceptors=[Edge(self.api_token)], options=options)
        servicer = DaprApi(self.services, self.extensions)
        dapr_pb2_grpc.add_DaprServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
        try:
            self.port = server.add_insecure_port(f"{host}:{port}")
        except RuntimeError as exc:  # grpcio's "Failed to bind": say which port, as bind does
            raise OSError(f"gRPC API: cannot listen on {host}:{port}: {exc}") from exc
        await server.start()
        self._server = server
        log.info("gRPC API listening on %s:%s", host, self.port)
        return self.port

    async def stop(self, grace: float) -> None:
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None
