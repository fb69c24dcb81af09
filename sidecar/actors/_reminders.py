"""Actor reminders as Scheduler records (dapr-sidecar.md §2.4, dapr-jobs.md §5).

A reminder is a job record owned by ``actorreminder||{ns}||{type}`` and named
``{actorId}||{reminderName}``. Its ``period`` becomes ``@every <Go duration>`` plus a repeat
count; ``dueTime`` and ``ttl`` pass through as given; ``data`` is kept as raw JSON and delivered
verbatim. ``overwrite`` defaults to true. The fired callback body has empty due/period, as with
Scheduler-backed reminders in daprd.
"""

from __future__ import annotations

import json
from typing import Any

from ..dapr_errors import DaprError, malformed
from ..jobs import (
    DEFAULT_POLICY,
    JobExistsError,
    JobRecord,
    JobSpec,
    JobStore,
    JobValidationError,
    first_tick,
    make_plan,
    parse_create_body,
)
from ..timefmt import (
    TimeFormatError,
    format_go_duration,
    parse_reminder_period,
)


def create_error(message: str) -> DaprError:
    return DaprError(500, "ERR_ACTOR_REMINDER_CREATE", f"error creating actor reminder: {message}")


def record_name(actor_id: str, name: str) -> str:
    return f"{actor_id}||{name}"


def split_name(record: JobRecord) -> tuple[str, str]:
    actor_id, _, name = record.name.partition("||")
    return actor_id, name


def reminder_spec(body: Any, now: float) -> tuple[JobSpec, bool]:
    """(spec, overwrite) from a create body; DaprError as daprd answers for a bad one."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise malformed("json: cannot unmarshal into Go value of type reminder request")
    due_time, period, ttl = (_string(body, key) for key in ("dueTime", "period", "ttl"))
    try:  # dueTime and ttl are the Scheduler's to check (store_reminder); the period is daprd's
        every, repeats = _period(period)
    except TimeFormatError as exc:
        raise create_error(str(exc)) from exc
    spec = JobSpec(
        schedule=f"@every {format_go_duration(every)}" if every is not None else None,
        repeats=repeats,
        due_time=due_time or "0s",
        ttl=ttl or None,
        data=_raw(body),
        failure_policy=_policy(body.get("failure_policy")),
    )
    overwrite = body.get("overwrite")
    return spec, overwrite is not False


def _period(period: str) -> tuple[Any, int | None]:
    """``@every`` interval and repeat count; ``R0/...`` sets no count (recorded from daprd)."""
    if period.startswith("R0/"):
        return parse_reminder_period(period[3:])[0], None
    return parse_reminder_period(period) if period else (None, None)


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise malformed(f"json: cannot unmarshal {type(value).__name__} into field {key}")
    return value


def _raw(body: dict[str, Any]) -> str | None:
    if body.get("data") is None:
        return None
    return json.dumps(body["data"], separators=(",", ":"), ensure_ascii=False)


def _policy(raw: Any) -> Any:
    if raw is None:
        return DEFAULT_POLICY
    spec, _ = parse_create_body({"failure_policy": raw})
    return spec.failure_policy


async def store_reminder(
    store: JobStore, owner: str, name: str, spec: JobSpec, overwrite: bool, now: float
) -> None:
    """Validate the timeline and store the record; DaprError 500/409 as daprd answers."""
    try:
        tick = first_tick(make_plan(spec, now), now)
    except JobValidationError as exc:
        raise create_error(
            f"rpc error: code = Unknown desc = job failed validation: {exc}"
        ) from exc
    try:
        if tick is None:  # already past its ttl: never fires
            if not overwrite and await store.get(owner, name) is not None:
                raise JobExistsError(owner, name)
            await store.delete(owner, name)
            return
        record = JobRecord(owner, name, spec, created_at=now, tick=tick, due_at=tick)
        await store.put(record, overwrite=overwrite)
    except JobExistsError as exc:
        message = f"actor reminder already exists: {name.partition('||')[2]}"
        raise DaprError(409, "ERR_ACTOR_REMINDER_ALREADY_EXISTS", message) from exc


def render_reminder(actor_type: str, record: JobRecord) -> dict[str, Any]:
    """The GET answer: fields omitted when empty, period in the Scheduler's ``@every`` form,
    no ttl (recorded from daprd 1.18.3: it shows none, even when one was set)."""
    actor_id, _ = split_name(record)
    spec = record.spec
    out: dict[str, Any] = {"actorID": actor_id, "actorType": actor_type}
    if spec.data is not None:
        out["data"] = json.loads(spec.data)
    if spec.due_time:
        out["dueTime"] = spec.due_time
    if spec.schedule:
        out["period"] = spec.schedule
    return out


def fire_body(record: JobRecord) -> bytes:
    """``PUT .../method/remind/{name}`` body: raw data (omitted when none), empty due/period."""
    data = record.spec.data
    head = "" if data is None else f'"data":{data},'
    return ("{" + head + '"dueTime":"","period":""}').encode()
