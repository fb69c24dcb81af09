"""What a job is: the definition as submitted (returned verbatim on GET) and its durable record."""

from __future__ import annotations

import enum
import functools
import json
from dataclasses import dataclass, replace
from typing import Any

from ..app_channel import job_payload


class PolicyKind(enum.Enum):
    DROP = "drop"
    CONSTANT = "constant"


@dataclass(frozen=True)
class FailurePolicy:
    """What happens when a delivery fails: drop the tick, or retry it at a constant interval.

    ``max_retries`` None means retry forever (Dapr's rule when maxRetries is absent).
    ``interval_text`` is the protobuf Duration text shown back on GET.
    """

    kind: PolicyKind
    interval: float = 0.0
    max_retries: int | None = None
    interval_text: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.kind is PolicyKind.DROP:
            return {"drop": {}}
        constant: dict[str, Any] = {}
        if self.interval_text is not None:
            constant["interval"] = self.interval_text
        if self.max_retries is not None:
            constant["maxRetries"] = self.max_retries
        return {"constant": constant}

    def retry_allowed(self, attempts: int) -> bool:
        """Whether another attempt follows ``attempts`` failed ones (of the same tick)."""
        if self.kind is PolicyKind.DROP:
            return False
        return self.max_retries is None or attempts <= self.max_retries


DEFAULT_POLICY = FailurePolicy(PolicyKind.CONSTANT, 1.0, 3, "1s")


@dataclass(frozen=True)
class JobSpec:
    """A job definition as the user sent it. Strings are kept verbatim for GET.

    ``data`` is the JSON text delivered on trigger (compact, sorted keys), None when absent.
    ``data_type`` set means the data came over gRPC as a ``google.protobuf.Any`` of another type:
    ``data`` is then the base64 of its value bytes and ``data_type`` its type URL (maybe empty).
    """

    schedule: str | None = None
    repeats: int | None = None
    due_time: str | None = None
    ttl: str | None = None
    data: str | None = None
    failure_policy: FailurePolicy = DEFAULT_POLICY
    data_type: str | None = None

    def payload(self) -> bytes:
        """The bytes a trigger delivers to an HTTP app: the JSON text, or the Any's value bytes."""
        return job_payload(self.data, self.data_type)

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule,
            "repeats": self.repeats,
            "dueTime": self.due_time,
            "ttl": self.ttl,
            "data": self.data,
            "failurePolicy": self.failure_policy.to_json(),
            "dataType": self.data_type,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> JobSpec:
        raw = json.loads(text)
        return cls(
            schedule=raw["schedule"],
            repeats=raw["repeats"],
            due_time=raw["dueTime"],
            ttl=raw["ttl"],
            data=raw["data"],
            failure_policy=policy_from_stored(raw["failurePolicy"]),
            data_type=raw.get("dataType"),  # absent in records written before gRPC
        )


_DROP = FailurePolicy(PolicyKind.DROP)


def policy_from_stored(raw: dict[str, Any]) -> FailurePolicy:
    """Rebuild a policy from its stored (already validated) JSON form."""
    if "drop" in raw:
        return _DROP
    constant = raw["constant"]
    return _constant_policy(constant.get("interval"), constant.get("maxRetries"))


@functools.lru_cache(maxsize=1024)
def _constant_policy(text: str | None, max_retries: int | None) -> FailurePolicy:
    """One policy object per distinct stored form (most jobs share a few): every claimed record
    is rebuilt from its stored spec, and parsing the interval was a sixth of a claim's cost."""
    from ..timefmt import parse_proto_duration

    interval = parse_proto_duration(text).total_seconds() if text else 0.0
    return FailurePolicy(PolicyKind.CONSTANT, interval, max_retries, text)


@dataclass(frozen=True)
class JobRecord:
    """A stored job and its counter.

    ``owner`` scopes the name: ``app||<ns>||<appID>`` for jobs, ``actorreminder||<ns>||<type>``
    for actor reminders (whose ``name`` is ``<actorID>||<reminderName>``).
    ``tick`` is the scheduled time of the tick being worked on, ``due_at`` when its next attempt
    may run (the tick, or a retry time). ``generation`` changes on every overwrite, so the result
    of a delivery started before an overwrite is discarded.
    """

    owner: str
    name: str
    spec: JobSpec
    created_at: float
    tick: float
    due_at: float
    count: int = 0
    attempts: int = 0
    generation: int = 0

    def advanced(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)


def app_owner(namespace: str, app_id: str) -> str:
    return f"app||{namespace}||{app_id}"


def reminder_owner(namespace: str, actor_type: str) -> str:
    return f"actorreminder||{namespace}||{actor_type}"
