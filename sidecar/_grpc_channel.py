"""The gRPC app channel (``appProtocol: grpc``): the app's ``AppCallback``, ``AppCallbackAlpha``
and ``AppCallbackHealthCheck`` services, called as daprd 1.18 calls them.

- invocation: ``OnInvoke``; the app's answer, or its gRPC status, becomes the HTTP answer daprd
  gives (``_grpc_messages``);
- pub/sub: ``ListTopicSubscriptions`` once the app is up (Unimplemented: none), ``OnTopicEvent``
  per message; status SUCCESS / RETRY / DROP as over HTTP, an unknown status or a failed call is
  RETRY, Unimplemented ends the message (daprd: "non-retriable", not dead-lettered);
- jobs: ``OnJobEvent``, then ``OnJobEventAlpha1`` when the app answers Unimplemented; OK and
  NotFound end the attempt, anything else fails it (the job's failure policy retries);
- health: ``HealthCheck``; actors: none. daprd 1.18 reads a gRPC app's actor types from the
  ``SubscribeActorEventsAlpha1`` stream the app opens on the Dapr gRPC API, never from the app
  channel, so an app reached over gRPC hosts no actors here.

``dapr-api-token`` goes as metadata on every call but the health check and the subscription
list, as in daprd. Message sizes are bounded by ``--max-body-size``.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
import httpx
from dapr.proto.runtime.v1 import appcallback_pb2, appcallback_pb2_grpc
from google.protobuf import empty_pb2

from . import _grpc_messages as messages
from .app_channel import (
    AppChannel,
    AppChannelError,
    AppRequest,
    AppTarget,
    BulkDelivery,
    EventOutcome,
    TopicDelivery,
    bulk_outcomes,
)

log = logging.getLogger(__name__)
_STATUS = appcallback_pb2.TopicEventResponse.TopicEventResponseStatus
_OUTCOMES = {
    _STATUS.Value("SUCCESS"): EventOutcome.SUCCESS,
    _STATUS.Value("RETRY"): EventOutcome.RETRY,
    _STATUS.Value("DROP"): EventOutcome.DROP,
}
_STATUS_NAMES = {number: outcome.value for number, outcome in _OUTCOMES.items()}


class GrpcAppChannel(AppChannel):
    """gRPC calls to the app over one ``grpc.aio`` channel, opened on first use."""

    protocol = "grpc"

    def __init__(self, target: AppTarget, *, max_message: int) -> None:
        super().__init__(target)
        self.max_message = max_message
        self._channel: grpc.aio.Channel | None = None

    def _connection(self) -> grpc.aio.Channel:
        if self._channel is None:  # made inside the event loop that uses it
            size = self.max_message
            options = [("grpc.max_send_message_length", size)]
            options += [("grpc.max_receive_message_length", size)]
            self._channel = grpc.aio.insecure_channel(f"{self.host}:{self.port}", options=options)
        return self._channel

    def _callback(self) -> appcallback_pb2_grpc.AppCallbackStub:
        return appcallback_pb2_grpc.AppCallbackStub(self._connection())

    def _token(self) -> messages.Metadata:
        return [("dapr-api-token", self.token)] if self.token else []

    async def aclose(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def invoke(self, call: AppRequest) -> httpx.Response:
        self.check_healthy()
        request = messages.invoke_request(
            call.method, call.path, call.content, call.headers, call.params
        )
        metadata = messages.request_metadata(call.headers) + self._token()
        async with self.slot():
            rpc = self._callback().OnInvoke(request, metadata=metadata)
            try:
                reply = await rpc
            except grpc.aio.AioRpcError as exc:
                code, trailers = exc.code().value[0], exc.trailing_metadata() or ()
                return messages.error_answer(
                    code, exc.details() or "", trailers, exc.initial_metadata() or ()
                )
            return messages.reply_answer(reply, await rpc.initial_metadata() or ())

    async def call_actor(self, call: AppRequest) -> httpx.Response:
        raise AppChannelError("actor callbacks need an HTTP app channel (appProtocol: http)")

    async def actor_config(self) -> Any:
        log.info(
            "app %s uses gRPC: its actor types would come from SubscribeActorEventsAlpha1, "
            "which this runtime does not serve; it hosts no actors",
            self.app_id,
        )
        return None

    async def subscriptions(self) -> Any:
        try:
            reply = await self._callback().ListTopicSubscriptions(empty_pb2.Empty())
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                log.info("pubsub subscriptions: gRPC app does not implement ListTopicSubscriptions")
            else:
                log.error("error getting topics from app: %s", exc.details())
            return None
        return messages.subscriptions_json(reply)

    async def deliver_event(self, delivery: TopicDelivery) -> EventOutcome:
        event_id = delivery.event.get("id")
        try:
            self.check_healthy()
            request = messages.topic_event_request(delivery)
        except (AppChannelError, ValueError) as exc:
            log.warning("pub/sub event %s not delivered: %s", event_id, exc)
            return EventOutcome.RETRY
        metadata = messages.event_metadata(delivery.metadata, delivery.event) + self._token()
        try:
            async with self.slot():
                reply = await self._callback().OnTopicEvent(request, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            return _failed_event(exc, event_id)
        outcome = _OUTCOMES.get(reply.status, EventOutcome.RETRY)
        if outcome is not EventOutcome.SUCCESS:
            log.warning(
                "%s status returned from app while processing pub/sub event %s",
                outcome.value,
                event_id,
            )
        return outcome

    async def deliver_bulk(self, delivery: BulkDelivery) -> dict[str, EventOutcome]:
        try:
            self.check_healthy()
            request = messages.bulk_event_request(delivery)
        except (AppChannelError, ValueError) as exc:
            log.warning("bulk pub/sub event on topic %s not delivered: %s", delivery.topic, exc)
            return bulk_outcomes(delivery, {})
        try:
            async with self.slot():
                reply = await self._send_bulk(request, _bulk_metadata(delivery))
        except grpc.aio.AioRpcError as exc:
            outcome = _failed_event(exc, delivery.id)
            return dict.fromkeys((e.entry_id for e in delivery.entries), outcome)
        statuses = {s.entry_id: _STATUS_NAMES.get(s.status, "") for s in reply.statuses}
        return bulk_outcomes(delivery, statuses)

    async def _send_bulk(
        self, request: appcallback_pb2.TopicEventBulkRequest, metadata: messages.Metadata
    ) -> appcallback_pb2.TopicEventBulkResponse:
        """``OnBulkTopicEvent``, or ``OnBulkTopicEventAlpha1`` when the app lacks the former."""
        md = metadata + self._token()
        try:
            reply: appcallback_pb2.TopicEventBulkResponse = await self._callback().OnBulkTopicEvent(
                request, metadata=md
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            alpha = appcallback_pb2_grpc.AppCallbackAlphaStub(self._connection())
            reply = await alpha.OnBulkTopicEventAlpha1(request, metadata=md)
        return reply

    async def trigger_job(self, name: str, data: str | None, data_type: str | None = None) -> bool:
        try:
            self.check_healthy()
            async with self.slot():
                await self._send_job(messages.job_event_request(name, data, data_type))
        except AppChannelError as exc:
            log.warning("job %s delivery failed: %s", name, exc)
            return False
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                log.error("job %s: app answered NotFound; not retried", name)
                return True
            log.warning("job %s: app answered %s: %s", name, exc.code().name, exc.details())
            return False
        return True

    async def _send_job(self, request: appcallback_pb2.JobEventRequest) -> None:
        """``OnJobEvent``, or ``OnJobEventAlpha1`` when the app does not implement the former."""
        try:
            await self._callback().OnJobEvent(request, metadata=self._token())
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            alpha = appcallback_pb2_grpc.AppCallbackAlphaStub(self._connection())
            await alpha.OnJobEventAlpha1(request, metadata=self._token())

    async def probe_health(self, path: str, timeout: float) -> bool:
        stub = appcallback_pb2_grpc.AppCallbackHealthCheckStub(self._connection())
        try:
            await stub.HealthCheck(empty_pb2.Empty(), timeout=timeout)
        except grpc.aio.AioRpcError:
            return False
        return True


def _bulk_metadata(delivery: BulkDelivery) -> messages.Metadata:
    """The envelope's metadata, and the trace context of its first CloudEvent (daprd's
    context carries the entries' spans: all zero with tracing off)."""
    first = next((e.cloud_event for e in delivery.entries if e.cloud_event is not None), {})
    return messages.event_metadata(delivery.metadata, first)


def _error_answer(exc: grpc.aio.AioRpcError) -> httpx.Response:
    code, details = exc.code().value[0], exc.details() or ""
    trailers, headers = exc.trailing_metadata() or (), exc.initial_metadata() or ()
    return messages.error_answer(code, details, trailers, headers)


def _failed_event(exc: grpc.aio.AioRpcError, event_id: Any) -> EventOutcome:
    if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
        log.warning(
            "non-retriable error returned from app while processing pub/sub event %s: %s",
            event_id,
            exc.details(),
        )
        return EventOutcome.SUCCESS  # daprd ends the message: neither retried nor dead-lettered
    log.warning("error returned from app while processing pub/sub event %s: %s", event_id, exc)
    return EventOutcome.RETRY
