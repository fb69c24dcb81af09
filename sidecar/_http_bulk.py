"""A bulk envelope over HTTP (daprd's HTTP postman ``DeliverBulk``).

The app gets ``POST <path>`` with ``Content-Type: application/json`` and the envelope's metadata
as headers; the body is Go's ``json.Marshal`` of the envelope map (keys sorted). It answers
``{"statuses": [{"entryId", "status"}]}``: any 2xx is read per entry, 404 ends every entry
(neither retried nor dead-lettered), any other status or an unreadable 2xx body is RETRY for all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from . import gojson
from .app_channel import BulkDelivery, BulkEntry, EventOutcome, bulk_outcomes
from .tracing import ZERO_TRACEPARENT

log = logging.getLogger(__name__)

BULK_EVENT_TYPE = "com.dapr.event.sent.bulk"


def bulk_body(delivery: BulkDelivery) -> bytes:
    """The envelope: a Go map (keys sorted) whose entries are Go structs (fields in order)."""
    envelope = {
        "id": gojson.dumps(delivery.id),
        "metadata": gojson.dumps(dict(delivery.metadata)),
        "pubsubname": gojson.dumps(delivery.pubsub),
        "topic": gojson.dumps(delivery.topic),
        "type": gojson.dumps(BULK_EVENT_TYPE),
    }
    entries = ",".join(_entry(e) for e in delivery.entries)
    fields = [f'"entries":[{entries}]'] + [f'"{k}":{v}' for k, v in envelope.items()]
    return ("{" + ",".join(fields) + "}").encode()


def _entry(entry: BulkEntry) -> str:
    fields = [
        f'"entryId":{gojson.dumps(entry.entry_id)}',
        f'"event":{gojson.dumps(entry.event)}',
        f'"metadata":{gojson.dumps(dict(entry.metadata))}',
    ]
    if entry.content_type:  # omitempty
        fields.append(f'"contentType":{gojson.dumps(entry.content_type)}')
    return "{" + ",".join(fields) + "}"


def bulk_headers(delivery: BulkDelivery) -> dict[str, str]:
    """The envelope's metadata, and the trace context of its first CloudEvent (daprd's context
    carries the entries' spans: all zero with tracing off; none for raw payloads)."""
    headers = {**delivery.metadata, "content-type": "application/json"}
    first = next((e.cloud_event for e in delivery.entries if e.cloud_event is not None), None)
    if first is not None and "traceparent" in first:
        headers["traceparent"] = str(first["traceparent"] or ZERO_TRACEPARENT)
    return headers


def bulk_answer(delivery: BulkDelivery, status: int, body: bytes) -> dict[str, EventOutcome]:
    """Each entry's outcome from the app's answer."""
    if status == 404:
        log.error("Non-retriable error returned from app while processing bulk pub/sub event")
        return dict.fromkeys((e.entry_id for e in delivery.entries), EventOutcome.SUCCESS)
    if not 200 <= status <= 299:
        log.warning(
            "Retriable error returned from app while processing bulk pub/sub event, topic: %s. "
            "status code returned: %s",
            delivery.topic,
            status,
        )
        return _all_retry(delivery)
    try:
        return bulk_outcomes(delivery, _statuses(gojson.loads_floats(body)))
    except ValueError as exc:
        log.warning("failed unmarshalling app response for bulk subscribe: %s", exc)
        return _all_retry(delivery)


def _all_retry(delivery: BulkDelivery) -> dict[str, EventOutcome]:
    return dict.fromkeys((e.entry_id for e in delivery.entries), EventOutcome.RETRY)


def _statuses(answer: Any) -> dict[str, str]:
    """Go's decoding of ``AppBulkResponse``: field names case-insensitive, null as empty."""
    if answer is None:
        return {}
    if not isinstance(answer, Mapping):
        raise ValueError("the answer must be a JSON object")
    items = _field(answer, "statuses") or []
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise ValueError("statuses must be a list of objects")
    return {str(_field(i, "entryId") or ""): str(_field(i, "status") or "") for i in items}


def _field(obj: Mapping[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    return next((v for k, v in obj.items() if k.lower() == name.lower()), None)
