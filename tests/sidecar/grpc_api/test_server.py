"""The gRPC server on its own: a port that is taken is a clear start-up error."""

from __future__ import annotations

import socket

import pytest

from sidecar.grpc_api import GrpcApi


async def test_a_taken_port_is_refused_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        api = GrpcApi(None, [], api_token=None, max_message_size=4 << 20)  # type: ignore[arg-type]
        with pytest.raises(OSError, match=f"gRPC API: cannot listen on 127.0.0.1:{port}"):
            await api.start("127.0.0.1", port)
