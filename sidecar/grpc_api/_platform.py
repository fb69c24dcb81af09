"""GetMetadata, SetMetadata and Shutdown: the metadata body the HTTP route writes, as protobuf."""

from __future__ import annotations

from typing import Any

from dapr.proto.runtime.v1 import metadata_pb2
from google.protobuf import empty_pb2, json_format

from ._context import Context, Services


def _subscription(sub: dict[str, Any]) -> dict[str, Any]:
    """The HTTP body's subscription with its rules as the proto nests them."""
    out = dict(sub)
    if isinstance(out.get("rules"), list):
        out["rules"] = {"rules": out["rules"]}
    return out


def metadata_message(body: dict[str, Any]) -> metadata_pb2.GetMetadataResponse:
    """``GET /v1.0/metadata``'s body as ``GetMetadataResponse`` (the JSON names are the same)."""
    body = dict(body)
    body["subscriptions"] = [_subscription(s) for s in body.get("subscriptions", [])]
    out = metadata_pb2.GetMetadataResponse()
    json_format.ParseDict(body, out, ignore_unknown_fields=True)
    return out


class PlatformRpcs:
    services: Services

    async def GetMetadata(self, request: Any, context: Context) -> metadata_pb2.GetMetadataResponse:
        return metadata_message(self.services.metadata())

    async def SetMetadata(self, request: Any, context: Context) -> empty_pb2.Empty:
        self.services.set_metadata(request.key, request.value)
        return empty_pb2.Empty()

    async def Shutdown(self, request: Any, context: Context) -> empty_pb2.Empty:
        self.services.request_shutdown()
        return empty_pb2.Empty()
