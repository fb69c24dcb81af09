"""A ``dapr.ext.grpc.App`` that records every callback it gets, for the gRPC app channel tests.

Run as ``python grpc_app.py PORT RECORD_FILE``; each callback is one JSON line in RECORD_FILE.
Besides what the handlers see, the raw request of every OnInvoke, OnTopicEvent and job event is
recorded (verb, query string, type URLs), and the gRPC metadata the sidecar sent.

- methods: ``echo`` answers the request's data with its content type and metadata ``x-app:
  grpc``; ``fail`` raises (gRPC UNKNOWN); any other name is UNIMPLEMENTED (the SDK's answer).
- topics on ``pubsub``: ``orders`` SUCCESS; ``flaky`` RETRY the first time, then SUCCESS;
  ``drop`` DROP (its dead-letter topic is ``dead``); ``dead`` SUCCESS; ``bulk`` a bulk
  subscription (10 ms window, dead-letter topic ``dead``) answering the status its data's ``t``
  names.
- jobs: ``j1`` and ``nodata`` succeed; ``failing`` raises (the job's failure policy retries it).
- health checks are recorded.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from pathlib import Path
from typing import Any

from dapr.clients.grpc._response import TopicEventResponse
from dapr.common.pubsub.subscription import SubscriptionMessage
from dapr.ext.grpc import App, InvokeMethodRequest, InvokeMethodResponse, JobEvent
from dapr.ext.grpc._servicer import _CallbackServicer
from google.protobuf.json_format import MessageToDict

PORT, RECORDS = int(sys.argv[1]), Path(sys.argv[2])
_lock = threading.Lock()
_flaky_seen: list[str] = []


def record(kind: str, **fields: Any) -> None:
    with _lock, RECORDS.open("a") as fh:
        fh.write(json.dumps({"kind": kind, **fields}) + "\n")


def _metadata(context: Any) -> dict[str, str]:
    return {k: v if isinstance(v, str) else repr(v) for k, v in context.invocation_metadata()}


def _raw(request: Any) -> dict[str, Any]:
    """The request's fields; ``data`` (an Any) as its type URL and its value in base64."""
    bare = type(request)()
    bare.CopyFrom(request)
    fields = type(request).DESCRIPTOR.fields_by_name
    typed = "data" in fields and hasattr(bare.data, "type_url")  # an Any: not always JSON
    if typed:
        bare.ClearField("data")
    out = MessageToDict(bare, preserving_proto_field_name=True)
    if typed and request.HasField("data"):
        out["data"] = {"type_url": request.data.type_url, "value": b64(request.data.value)}
    if "http_extension" in type(request).DESCRIPTOR.fields_by_name:
        verb = request.http_extension.verb
        out["http_extension"] = {"verb": verb, "querystring": request.http_extension.querystring}
    return out


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _wrap(name: str) -> None:
    """Record the raw request of one servicer method, then let the SDK handle it."""
    original = getattr(_CallbackServicer, name)

    def recorded(self: Any, request: Any, context: Any) -> Any:
        record(name, request=_raw(request), metadata=_metadata(context))
        return original(self, request, context)

    setattr(_CallbackServicer, name, recorded)


for _name in ("OnInvoke", "OnTopicEvent", "OnBulkTopicEvent", "OnJobEvent", "OnJobEventAlpha1"):
    _wrap(_name)

app = App()


@app.method(name="echo")
def echo(request: InvokeMethodRequest) -> InvokeMethodResponse:
    data = request.proto.value  # the raw bytes: request.data would unpack a typed Any
    return InvokeMethodResponse(data, request.content_type, headers=(("x-app", "grpc"),))


@app.method(name="fail")
def fail(request: InvokeMethodRequest) -> InvokeMethodResponse:
    raise RuntimeError("boom")


def _event(name: str, event: SubscriptionMessage) -> None:
    record(name, topic=event.topic(), data=event.data(), content_type=event.data_content_type())


@app.subscribe(pubsub_name="pubsub", topic="orders")
def orders(event: SubscriptionMessage) -> TopicEventResponse:
    _event("orders", event)
    return TopicEventResponse("success")


@app.subscribe(pubsub_name="pubsub", topic="flaky")
def flaky(event: SubscriptionMessage) -> TopicEventResponse:
    _event("flaky", event)
    first = event.id() not in _flaky_seen
    _flaky_seen.append(event.id())
    return TopicEventResponse("retry" if first else "success")


@app.subscribe(pubsub_name="pubsub", topic="drop", dead_letter_topic="dead")
def drop(event: SubscriptionMessage) -> TopicEventResponse:
    _event("drop", event)
    return TopicEventResponse("drop")


@app.subscribe(pubsub_name="pubsub", topic="dead")
def dead(event: SubscriptionMessage) -> TopicEventResponse:
    _event("dead", event)
    return TopicEventResponse("success")


@app.subscribe(pubsub_name="pubsub", topic="bulk", dead_letter_topic="dead")
def bulk(event: SubscriptionMessage) -> TopicEventResponse:
    _event("bulk", event)
    return TopicEventResponse(event.data()["t"])


def _bulk_subscription(topic: str, window_ms: int) -> None:
    """The SDK's decorator has no bulk option; the subscription it lists gets one here."""
    for sub in app._servicer._registered_topics:
        if sub.topic == topic:
            sub.bulk_subscribe.enabled = True
            sub.bulk_subscribe.max_await_duration_ms = window_ms


_bulk_subscription("bulk", 10)


def _job(job: JobEvent) -> None:
    record("job", name=job.name, data=b64(job.data))


app.job_event("j1")(_job)
app.job_event("nodata")(_job)


@app.job_event("failing")
def failing(job: JobEvent) -> None:
    _job(job)
    raise RuntimeError("job failed")


app.register_health_check(lambda: record("health"))

if __name__ == "__main__":
    app.run(PORT, "127.0.0.1")
