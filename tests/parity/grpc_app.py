"""The parity catalogue's gRPC app (``appProtocol: grpc``): records every callback it receives.

Run as ``python grpc_app.py GRPC_PORT HTTP_PORT``. It serves ``AppCallback`` and
``AppCallbackAlpha`` on GRPC_PORT and, on HTTP_PORT, ``GET /_recorded?after=N`` and
``/healthz`` as the HTTP recorder (``app.py``) does. Each callback is recorded as a request the
catalogue can compare: ``method`` the RPC, ``path`` ``/<RPC>/<method, topic or job name>``,
``headers`` the gRPC metadata, ``body`` the request as JSON (an untyped ``Any`` as its type URL
and base64 value).

- ``OnInvoke``: ``fail`` aborts with UNKNOWN ``boom``; ``status/<code>`` with that gRPC code and
  message ``status <code>``; anything else answers the request's data and content type, with
  metadata ``x-app: grpc``.
- subscriptions on ``pubsub``: ``grpc-orders`` (no route) and ``grpc-routed`` (rule
  ``event.type == "routed"`` to ``/routed``, default ``/fallback``); every event is SUCCESS.
- every job trigger succeeds.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
from dapr.proto.common.v1 import common_pb2
from dapr.proto.runtime.v1 import appcallback_pb2 as pb
from dapr.proto.runtime.v1 import appcallback_pb2_grpc as rpc
from google.protobuf.json_format import MessageToDict

_records: list[dict[str, Any]] = []
_lock = threading.Lock()


def _as_json(request: Any) -> dict[str, Any]:
    bare = type(request)()
    bare.CopyFrom(request)
    typed = hasattr(bare.data, "type_url")
    if typed:
        bare.ClearField("data")  # an untyped Any does not convert to JSON
    out = MessageToDict(bare, preserving_proto_field_name=True)
    if typed and request.HasField("data"):
        value = base64.b64encode(request.data.value).decode()
        out["data"] = {"type_url": request.data.type_url, "value": value}
    return out


def _record(rpc_name: str, key: str, request: Any, context: Any) -> None:
    headers = {k: v if isinstance(v, str) else repr(v) for k, v in context.invocation_metadata()}
    record = {"method": rpc_name, "path": f"/{rpc_name}/{key}", "headers": headers}
    record["body"] = json.dumps(_as_json(request), sort_keys=True)
    with _lock:
        _records.append(record)


SUBSCRIPTIONS = [
    pb.TopicSubscription(pubsub_name="pubsub", topic="grpc-orders"),
    pb.TopicSubscription(
        pubsub_name="pubsub",
        topic="grpc-routed",
        routes=pb.TopicRoutes(
            rules=[pb.TopicRule(match='event.type == "routed"', path="/routed")],
            default="/fallback",
        ),
    ),
]


class Callbacks(rpc.AppCallbackServicer, rpc.AppCallbackAlphaServicer):
    def OnInvoke(self, request: Any, context: Any) -> Any:
        _record("OnInvoke", request.method, request, context)
        if request.method == "fail":
            context.abort(grpc.StatusCode.UNKNOWN, "boom")
        if request.method.startswith("status/"):
            code = int(request.method.split("/", 1)[1])
            status = next(s for s in grpc.StatusCode if s.value[0] == code)
            context.abort(status, f"status {code}")
        context.send_initial_metadata((("x-app", "grpc"),))
        return common_pb2.InvokeResponse(data=request.data, content_type=request.content_type)

    def ListTopicSubscriptions(self, request: Any, context: Any) -> Any:
        return pb.ListTopicSubscriptionsResponse(subscriptions=SUBSCRIPTIONS)

    def OnTopicEvent(self, request: Any, context: Any) -> Any:
        _record("OnTopicEvent", request.topic, request, context)
        return pb.TopicEventResponse(status=pb.TopicEventResponse.SUCCESS)

    def OnJobEvent(self, request: Any, context: Any) -> Any:
        _record("OnJobEvent", request.name, request, context)
        return pb.JobEventResponse()


class Recorded(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        after = int(parse_qs(url.query).get("after", ["0"])[0])
        with _lock:
            body = json.dumps({"total": len(_records), "records": _records[after:]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    grpc_port, http_port = int(sys.argv[1]), int(sys.argv[2])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    rpc.add_AppCallbackServicer_to_server(Callbacks(), server)
    rpc.add_AppCallbackAlphaServicer_to_server(Callbacks(), server)
    server.add_insecure_port(f"127.0.0.1:{grpc_port}")
    server.start()
    ThreadingHTTPServer(("127.0.0.1", http_port), Recorded).serve_forever()


if __name__ == "__main__":
    main()
