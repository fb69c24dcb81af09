"""daprd's pub/sub API errors (dapr ``pkg/api/errors/pubsub.go``), in dapr/kit's JSON shape.

Kit errors carry a ``details`` list: a ResourceInfo (except for "not found"/"not configured") and
an ErrorInfo whose ``metadata`` is whatever map daprd attached (``null`` when none). Go encodes
these maps with sorted keys, which is the order used here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..dapr_errors import DaprError

_TYPE = "type.googleapis.com/google.rpc."


class PubSubError(DaprError):
    """A pub/sub kit error; ``resource`` is the pubsub name for ResourceInfo, or None to omit it."""

    def __init__(
        self,
        status: int,
        code: str,
        reason: str,
        message: str,
        *,
        metadata: dict[str, str] | None,
        resource: str | None,
    ) -> None:
        ordered = None if metadata is None else dict(sorted(metadata.items()))
        super().__init__(status, code, message, reason=reason, metadata=ordered)
        self.resource = resource

    def body(self) -> dict[str, Any]:
        details: list[dict[str, Any]] = []
        if self.resource is not None:
            details.append(
                {
                    "@type": _TYPE + "ResourceInfo",
                    "description": self.message,
                    "owner": "",
                    "resource_name": self.resource,
                    "resource_type": "pubsub",
                }
            )
        details.append(
            {
                "@type": _TYPE + "ErrorInfo",
                "domain": "dapr.io",
                "metadata": self.metadata,
                "reason": self.reason,
            }
        )
        return {"errorCode": self.error_code, "message": self.message, "details": details}


class _Kind(NamedTuple):
    status: int
    code: str
    reason: str
    grpc: str | None = None  # daprd's gRPC code, where it is not the one paired with ``status``


def _make(
    kind: _Kind, message: str, metadata: dict[str, str] | None, resource: str | None
) -> PubSubError:
    error = PubSubError(
        kind.status, kind.code, kind.reason, message, metadata=metadata, resource=resource
    )
    if kind.grpc is not None:
        error.on_grpc(kind.grpc)
    return error


NOT_CONFIGURED = _Kind(400, "ERR_PUBSUB_NOT_CONFIGURED", "DAPR_PUBSUB_NOT_CONFIGURED")
NAME_EMPTY = _Kind(404, "ERR_PUBSUB_EMPTY", "DAPR_PUBSUB_NAME_EMPTY", "INVALID_ARGUMENT")
NOT_FOUND = _Kind(404, "ERR_PUBSUB_NOT_FOUND", "DAPR_PUBSUB_NOT_FOUND", "INVALID_ARGUMENT")
TOPIC_EMPTY = _Kind(404, "ERR_TOPIC_NAME_EMPTY", "DAPR_PUBSUB_TOPIC_NAME_EMPTY", "INVALID_ARGUMENT")
BAD_METADATA = _Kind(400, "ERR_PUBSUB_REQUEST_METADATA", "DAPR_PUBSUB_METADATA_DESERIALIZATION")
CLOUD_EVENT_CREATION = _Kind(500, "ERR_PUBSUB_CLOUD_EVENTS_SER", "DAPR_PUBSUB_CLOUD_EVENT_CREATION")
FORBIDDEN = _Kind(403, "ERR_PUBSUB_FORBIDDEN", "DAPR_PUBSUB_FORBIDDEN")
PUBLISH_FAILED = _Kind(500, "ERR_PUBSUB_PUBLISH_MESSAGE", "DAPR_PUBSUB_PUBLISH_MESSAGE")
UNMARSHAL_EVENTS = _Kind(400, "ERR_PUBSUB_EVENTS_SER", "DAPR_PUBSUB_UNMARSHAL_EVENTS")
MARSHAL_ENVELOPE = _Kind(400, "ERR_PUBSUB_EVENTS_SER", "DAPR_PUBSUB_MARSHAL_ENVELOPE")
MARSHAL_EVENTS = _Kind(400, "ERR_PUBSUB_EVENTS_SER", "DAPR_PUBSUB_MARSHAL_EVENTS")


def not_configured(name: str, metadata: dict[str, str]) -> PubSubError:
    return _make(NOT_CONFIGURED, f"pubsub {name} is not configured", metadata, None)


def name_empty(metadata: dict[str, str]) -> PubSubError:
    return _make(NAME_EMPTY, "pubsub name is empty", metadata, "")


def not_found(name: str, metadata: dict[str, str]) -> PubSubError:
    return _make(NOT_FOUND, f"pubsub {name} is not found", metadata, None)


def topic_empty(name: str, metadata: dict[str, str]) -> PubSubError:
    return _make(TOPIC_EMPTY, f"topic is empty in pubsub {name}", metadata, name)


def bad_metadata(name: str, metadata: dict[str, str], error: str) -> PubSubError:
    return _make(BAD_METADATA, f"failed deserializing metadata. Error: {error}", metadata, name)


def cloud_event_creation(name: str, app_id: str, error: str) -> PubSubError:
    return _make(
        CLOUD_EVENT_CREATION, "cannot create cloudevent", {"appID": app_id, "error": error}, name
    )


def forbidden(name: str, topic: str, app_id: str) -> PubSubError:
    message = f"topic {topic} is not allowed for app id {app_id}"
    return _make(FORBIDDEN, message, {"error": message, "topic": topic}, name)


def publish_failed(name: str, topic: str, error: str) -> PubSubError:
    return _make(
        PUBLISH_FAILED,
        f"error when publishing to topic {topic} in pubsub {name}: {error}",
        {"error": error, "topic": topic},
        name,
    )


def unmarshal_events(name: str, topic: str, app_id: str, error: str) -> PubSubError:
    return _make(
        UNMARSHAL_EVENTS,
        f"error when unmarshaling the request for topic {topic} pubsub {name}: {error}",
        {"appID": app_id},
        name,
    )


def marshal_envelope(name: str, topic: str, app_id: str, error: str) -> PubSubError:
    return _make(
        MARSHAL_ENVELOPE,
        f"error when marshalling cloud event envelope for topic {topic} pubsub {name}: {error}",
        {"appID": app_id, "error": error},
        name,
    )


def marshal_events(name: str, topic: str, app_id: str, error: str) -> PubSubError:
    return _make(
        MARSHAL_EVENTS,
        f"error marshaling events to bytes for topic {topic} pubsub {name}. error: {error}",
        {"appID": app_id, "error": error},
        name,
    )
