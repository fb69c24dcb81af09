"""The HTTP app channel (``appProtocol: http``): daprd's HTTP channel and HTTP postman."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from . import gojson
from ._http_bulk import bulk_answer, bulk_body, bulk_headers
from ._job_poster import JobPoster
from .app_channel import (
    HOP_BY_HOP,
    AppChannel,
    AppChannelError,
    AppRequest,
    AppTarget,
    BulkDelivery,
    CallObserver,
    EventOutcome,
    TopicDelivery,
    bulk_outcomes,
    job_payload,
)
from .tracing import ZERO_TRACEPARENT

log = logging.getLogger(__name__)

SUBSCRIBE_RETRIES = 3
_SKIP_EVENT_HEADERS = frozenset({"content-length", "content-type"})
CLOUDEVENT_CT = "application/cloudevents+json"
JOB_HEADERS = {"content-type": "application/json"}
TRIGGER_CONNECTIONS = 512  # above the scheduler's deliveries at once (256)


def outcome_of(status: int, body: bytes) -> EventOutcome:
    """Map the app's answer to a topic event as daprd's HTTP postman does."""
    if 200 <= status <= 299:
        return _status_field(body)
    return EventOutcome.DROP if status == 404 else EventOutcome.RETRY


def _status_field(body: bytes) -> EventOutcome:
    try:
        answer = gojson.loads_floats(body)
    except ValueError:
        return EventOutcome.SUCCESS  # empty or not JSON: no status to check
    if not isinstance(answer, dict):
        return EventOutcome.SUCCESS
    status = next((v for k, v in answer.items() if k.lower() == "status"), "")
    if not isinstance(status, str) or status in ("", "SUCCESS"):
        return EventOutcome.SUCCESS
    return EventOutcome.DROP if status == "DROP" else EventOutcome.RETRY


def event_headers(delivery: TopicDelivery) -> dict[str, str]:
    """The publish metadata as headers, the CloudEvent content type and its trace context."""
    event = delivery.event
    md = delivery.metadata
    headers = {k: v for k, v in md.items() if k.lower() not in _SKIP_EVENT_HEADERS}
    headers["content-type"] = CLOUDEVENT_CT
    if "traceparent" in event:  # an envelope; a raw payload carries no trace context
        headers["traceparent"] = str(event["traceparent"] or ZERO_TRACEPARENT)
    if isinstance(event.get("tracestate"), str) and event["tracestate"]:
        headers["tracestate"] = event["tracestate"]
    return headers


class HttpAppChannel(AppChannel):
    """HTTP calls to the app over the sidecar's outbound client."""

    def __init__(
        self, client: httpx.AsyncClient, target: AppTarget, observer: CallObserver | None = None
    ) -> None:
        super().__init__(target, observer)
        self.client = client
        self.base_url = f"http://{target.host}:{target.port}"
        self.jobs = JobPoster(TRIGGER_CONNECTIONS)

    def _headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        out = {k: v for k, v in (headers or {}).items() if k.lower() not in HOP_BY_HOP}
        if self.token:
            out["dapr-api-token"] = self.token
        return out

    async def request(self, call: AppRequest) -> httpx.Response:
        """Send one request to the app; AppChannelError (naming httpx's error) when it cannot be
        sent or reached. A path Go's HTTP client refuses to send (a control character in it) is
        such an error too, as in daprd ("net/http: invalid control character in URL")."""
        self.check_healthy()
        url = self.base_url + "/" + call.path.lstrip("/")
        if call.params:
            url += "?" + call.params
        started = time.perf_counter()
        status, received = 0, 0
        try:
            async with self.slot():
                resp = await self.client.request(
                    call.method, url, content=call.content, headers=self._headers(call.headers)
                )
            status, received = resp.status_code, len(resp.content)
            return resp
        except httpx.InvalidURL as exc:
            bad = httpx.LocalProtocolError(f"invalid control character in URL: {exc}")
            raise AppChannelError(repr(bad)) from exc
        except httpx.HTTPError as exc:
            raise AppChannelError(repr(exc)) from exc
        finally:
            if self.observer is not None:
                ms = (time.perf_counter() - started) * 1000
                self.observer.called_app(
                    call.method, call.path, status, len(call.content), received, ms
                )

    invoke = request
    call_actor = request

    async def actor_config(self) -> Any:
        headers = {"content-type": "application/json", "dapr-app-id": self.app_id}
        resp = await self.request(AppRequest("GET", "dapr/config", headers=headers))
        return resp.json() if resp.status_code == 200 else None

    async def subscriptions(self) -> Any:
        resp = await self._get_subscribe()
        if resp is None:
            return None
        if resp.status_code == 404:
            log.debug("user app did not subscribe to any topic")
            return None
        if resp.status_code != 200:
            log.error(
                "app returned http status code %s from subscription endpoint", resp.status_code
            )
            return None
        try:
            return gojson.loads_floats(resp.content) if resp.content.strip() else None
        except ValueError as exc:
            log.error("error getting topics from app: %s", exc)
            return None

    async def _get_subscribe(self) -> httpx.Response | None:
        headers = {"dapr-app-id": self.app_id, "content-type": "application/json"}
        for attempt in range(SUBSCRIBE_RETRIES + 1):
            try:
                return await self.request(AppRequest("GET", "dapr/subscribe", headers=headers))
            except AppChannelError as exc:
                log.warning("GET /dapr/subscribe failed (attempt %d): %s", attempt + 1, exc)
                if attempt < SUBSCRIBE_RETRIES:
                    await asyncio.sleep(0.5 * 2**attempt)
        return None

    async def deliver_event(self, delivery: TopicDelivery) -> EventOutcome:
        try:
            call = AppRequest("POST", delivery.path, delivery.data, event_headers(delivery))
            resp = await self.request(call)
        except AppChannelError as exc:
            log.warning(
                "error returned from app channel while sending pub/sub event to app: %s", exc
            )
            return EventOutcome.RETRY
        outcome = outcome_of(resp.status_code, resp.content)
        _log_outcome(outcome, resp, delivery.event)
        return outcome

    async def deliver_bulk(self, delivery: BulkDelivery) -> dict[str, EventOutcome]:
        body, headers = bulk_body(delivery), bulk_headers(delivery)
        try:
            resp = await self.request(AppRequest("POST", delivery.path, body, headers))
        except AppChannelError as exc:
            log.warning("error from app channel while sending pub/sub event to app: %s", exc)
            return bulk_outcomes(delivery, {})
        return bulk_answer(delivery, resp.status_code, resp.content)

    async def trigger_job(self, name: str, data: str | None, data_type: str | None = None) -> bool:
        try:
            status = await self._post_job(f"job/{name}", job_payload(data, data_type))
        except AppChannelError as exc:
            log.warning("job %s delivery failed: %s", name, exc)
            return False
        if status == 404:
            log.error("job %s: app answered 404; not retried", name)
        ok = 200 <= status < 300 or status == 404
        if not ok:
            log.warning("job %s: app answered %s", name, status)
        return ok

    async def _post_job(self, path: str, body: bytes) -> int:
        self.check_healthy()
        started, status, received = time.perf_counter(), 0, 0
        try:
            async with self.slot():
                url, headers = f"{self.base_url}/{path}", self._headers(JOB_HEADERS)
                status, received = await self.jobs.post(url, body, headers)
            return status
        finally:
            if self.observer is not None:
                ms = (time.perf_counter() - started) * 1000
                self.observer.called_app("POST", path, status, len(body), received, ms)

    async def aclose(self) -> None:
        await self.jobs.aclose()

    async def probe_health(self, path: str, timeout: float) -> bool:
        try:
            resp = await self.client.get(self.base_url + "/" + path.lstrip("/"), timeout=timeout)
        except httpx.HTTPError:
            return False
        return 200 <= resp.status_code < 300


def _log_outcome(outcome: EventOutcome, resp: httpx.Response, event: dict[str, Any]) -> None:
    if resp.status_code == 404:
        log.error(
            "non-retriable error returned from app while processing pub/sub event %s: %s. "
            "status code returned: 404",
            event.get("id"),
            resp.text,
        )
    elif outcome is EventOutcome.DROP:
        log.warning(
            "DROP status returned from app while processing pub/sub event %s", event.get("id")
        )
    elif outcome is EventOutcome.RETRY:
        log.warning(
            "retriable error returned from app while processing pub/sub event %s, "
            "topic: %s, status code returned: %s",
            event.get("id"),
            event.get("topic"),
            resp.status_code,
        )
