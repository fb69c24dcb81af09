"""Choosing the app channel once, from the app's protocol (``--app-protocol``, ``appProtocol``)."""

from __future__ import annotations

import httpx

from ._config import SidecarConfig
from ._grpc_channel import GrpcAppChannel
from ._http_channel import HttpAppChannel
from .app_channel import AppChannel, AppTarget, CallObserver

PROTOCOLS = ("http", "grpc")


class UnsupportedProtocolError(ValueError):
    def __init__(self, protocol: str) -> None:
        super().__init__(
            f"app protocol {protocol!r} is not supported (supported: {', '.join(PROTOCOLS)})"
        )


def channel_for(
    config: SidecarConfig, client: httpx.AsyncClient, observer: CallObserver | None = None
) -> AppChannel | None:
    """The channel to the app; None without an app port (daprd: "app channel not initialized")."""
    if not config.app_port:
        return None
    target = AppTarget(
        config.app_host,
        config.app_port,
        config.app_id,
        config.app_token,
        config.app_max_concurrency,
    )
    if config.app_protocol == "grpc":
        return GrpcAppChannel(target, max_message=config.max_body_size)
    if config.app_protocol == "http":
        return HttpAppChannel(client, target, observer)
    raise UnsupportedProtocolError(config.app_protocol)
