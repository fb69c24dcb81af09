"""The delivery channels: each sends one notification to one recipient once, or raises
:class:`ChannelFailure` saying why. Retries are the deliverer's business, not theirs.

- webhook: ``POST`` of the notification as JSON, signed when a secret is set:
  ``X-Notifier-Timestamp: <unix seconds>`` and
  ``X-Notifier-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` (a receiver
  recomputes it over the raw body and refuses an old timestamp);
- pubsub: Dapr publish (``/v1.0/publish/{pubsub}/{topic}``); the sidecar wraps it in a
  CloudEvent, as daprd does;
- email: one message over SMTP (``smtplib`` in a worker thread);
- log: nothing more than the log line every notification gets.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from ._routing import ChannelKind, Route

TIMESTAMP_HEADER = "X-Notifier-Timestamp"
SIGNATURE_HEADER = "X-Notifier-Signature"


class ChannelFailure(Exception):
    """One attempt failed; the message says why."""


class Channel(Protocol):
    async def send(self, notification: dict[str, Any], recipient: str, route: Route) -> None:
        """Deliver once; raise :class:`ChannelFailure` unless the far end accepted it."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookChannel:
    def __init__(self, client: httpx.AsyncClient, secret: str | None, now: Callable[[], float]):
        self._client = client
        self._secret = secret
        self._now = now

    async def send(self, notification: dict[str, Any], recipient: str, route: Route) -> None:
        body = json.dumps({**notification, "recipient": recipient}, separators=(",", ":")).encode()
        headers = {"content-type": "application/json"}
        if self._secret:
            stamp = str(int(self._now()))
            headers |= {
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: signature(self._secret, stamp, body),
            }
        await _post(self._client, route.params["url"], body, headers)


class PubSubChannel:
    def __init__(self, client: httpx.AsyncClient, endpoint: str, token: str | None) -> None:
        self._client = client
        self._endpoint = endpoint.rstrip("/")
        self._headers = {"content-type": "application/json"} | (
            {"dapr-api-token": token} if token else {}
        )

    async def send(self, notification: dict[str, Any], recipient: str, route: Route) -> None:
        url = f"{self._endpoint}/v1.0/publish/{route.params['pubsub']}/{route.params['topic']}"
        body = json.dumps({**notification, "recipient": recipient}).encode()
        await _post(self._client, url, body, self._headers)


class EmailChannel:
    def __init__(self, host: str, port: int, sender: str, timeout: float) -> None:
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout

    async def send(self, notification: dict[str, Any], recipient: str, route: Route) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = route.params["to"]
        message["Subject"] = (
            f"[{notification.get('kind', 'notice')}] {notification.get('title', '')}"
        )
        message["Message-ID"] = f"<{notification['id']}.{recipient}@notifier>"
        message.set_content(str(notification.get("message", "")))
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelFailure(f"SMTP {self._host}:{self._port}: {exc!r}") from exc

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            smtp.send_message(message)


class LogChannel:
    async def send(self, notification: dict[str, Any], recipient: str, route: Route) -> None:
        return None


def channels(
    client: httpx.AsyncClient,
    endpoint: str,
    token: str | None,
    secret: str | None,
    smtp: EmailChannel,
    now: Callable[[], float],
) -> dict[ChannelKind, Channel]:
    return {
        ChannelKind.LOG: LogChannel(),
        ChannelKind.WEBHOOK: WebhookChannel(client, secret, now),
        ChannelKind.PUBSUB: PubSubChannel(client, endpoint, token),
        ChannelKind.EMAIL: smtp,
    }


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.TransportError as exc:
        raise ChannelFailure(f"{url}: {exc!r}") from exc
    if not response.is_success:
        raise ChannelFailure(f"{url}: status {response.status_code}")
