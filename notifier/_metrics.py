"""The notifier's metrics: notifications by channel and outcome, and due -> stored latency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from appkit.metrics import LATENCY_S


class NotifierMetrics:
    """``pm_notifier_notifications_total{channel, outcome}``: ``log``/``webhook`` ``delivered``
    or ``failed``, ``intake`` ``duplicate``; ``pm_notifier_due_to_stored_seconds{kind}``: from the
    notification's ``fire_at`` (when its job was due) to its first storing here."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.notifications = Counter(
            "pm_notifier_notifications",
            "Notifications by delivery channel and outcome.",
            ("channel", "outcome"),
            registry=self.registry,
        )
        self.due_to_stored = Histogram(
            "pm_notifier_due_to_stored_seconds",
            "From the time a notification's job was due to its first storing.",
            ("kind",),
            registry=self.registry,
            buckets=LATENCY_S,
        )

    def outcome(self, channel: str, outcome: str) -> None:
        self.notifications.labels(channel, outcome).inc()

    def stored(self, notification: dict[str, Any], now: datetime) -> None:
        fire_at = notification.get("fire_at")
        if not isinstance(fire_at, str):
            return
        try:
            due = datetime.fromisoformat(fire_at)
        except ValueError:
            return
        kind = str(notification.get("kind") or "unknown")
        self.due_to_stored.labels(kind).observe(max(0.0, (now - due).total_seconds()))
