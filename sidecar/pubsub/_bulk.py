"""Bulk publish request entries (dapr ``onBulkPublish`` and ``ConvertEventToBytes``)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from typing import Any

from .. import gojson
from . import _api_errors, _envelope

_MISMATCH = "error: mismatch between contentType and event"
_ENTRY_TYPE = "[]http.bulkPublishMessageEntry"


@dataclass(frozen=True)
class BulkEntry:
    entry_id: str
    data: bytes
    content_type: str
    metadata: dict[str, str]

    def with_data(self, data: bytes) -> BulkEntry:
        return replace(self, data=data)


def event_bytes(event: Any, content_type: str) -> bytes:
    """One entry's ``event`` as the bytes to publish; raises ValueError on a type mismatch."""
    if _envelope.is_content_type(content_type, "application/octet-stream"):
        if not isinstance(event, str):
            raise ValueError(_MISMATCH)
        try:
            return base64.b64decode(event.replace("\r", "").replace("\n", ""), validate=True)
        except binascii.Error as exc:
            raise ValueError(
                f"error: unable to decode base64 application/octect-stream data: {exc}"
            ) from exc
    if _envelope.is_string_content_type(content_type):
        if not isinstance(event, str):
            raise ValueError(_MISMATCH)
        return event.encode()
    if _envelope.is_content_type(content_type, "application/json") or _envelope.is_content_type(
        content_type, _envelope.CLOUDEVENT_CT
    ):
        return gojson.dumpb(event)
    raise ValueError(_MISMATCH)


def _decode(body: bytes) -> list[dict[str, Any]]:
    """Go's decoder into ``[]bulkPublishMessageEntry`` (the messages are approximations)."""
    items = gojson.loads_floats(body)
    if not isinstance(items, list):
        kind = "object" if isinstance(items, dict) else "value"
        raise ValueError(f"json: cannot unmarshal {kind} into Go value of type {_ENTRY_TYPE}")
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"json: cannot unmarshal value into Go value of type {_ENTRY_TYPE}")
        _check_types(item)
    return items


def _check_types(item: dict[str, Any]) -> None:
    for key in ("entryId", "contentType"):
        if not isinstance(_field(item, key) or "", str):
            raise ValueError(f"json: cannot unmarshal value into Go struct field {key}")
    meta = _field(item, "metadata")
    if meta is not None and not (
        isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())
    ):
        raise ValueError("json: cannot unmarshal value into Go struct field metadata")


def _field(obj: dict[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    return next((v for k, v in obj.items() if k.lower() == name.lower()), None)


def parse_entries(
    body: bytes, pubsub: str, topic: str, app_id: str, metadata: dict[str, str]
) -> list[BulkEntry]:
    """Validated entries; entry metadata is merged over the request's only when present."""
    try:
        items = _decode(body)
    except ValueError as exc:
        raise _api_errors.unmarshal_events(pubsub, topic, app_id, str(exc)) from exc
    out: list[BulkEntry] = []
    seen: set[str] = set()
    for item in items:
        content_type = _field(item, "contentType") or ""
        try:
            data = event_bytes(_field(item, "event"), content_type)
        except ValueError as exc:
            raise _api_errors.marshal_envelope(pubsub, topic, app_id, str(exc)) from exc
        own = _field(item, "metadata")
        entry_md = {**metadata, **own} if own is not None else {}
        entry_id = _field(item, "entryId") or ""
        if not entry_id or entry_id in seen:
            error = "entryId is duplicated or not present for entry"
            raise _api_errors.marshal_events(pubsub, topic, app_id, error)
        seen.add(entry_id)
        out.append(BulkEntry(entry_id, data, content_type, entry_md))
    return out
