"""Decode a Jobs API create body with protojson's rules into a JobSpec (dapr-jobs.md §1.2)."""

from __future__ import annotations

import json
import math
from typing import Any

from ..dapr_errors import DaprError, malformed
from ..timefmt import TimeFormatError, format_proto_duration, parse_proto_duration
from ._model import DEFAULT_POLICY, FailurePolicy, JobSpec, PolicyKind

_UINT32_MAX = 2**32 - 1
_FIELDS = {
    "schedule": "schedule",
    "dueTime": "due_time",
    "due_time": "due_time",
    "repeats": "repeats",
    "ttl": "ttl",
    "data": "data",
    "overwrite": "overwrite",
    "failurePolicy": "failure_policy",
    "failure_policy": "failure_policy",
    "name": "name",
}


class JobNameInBodyError(Exception):
    """The body names the job; daprd wants the name in the URL only."""


def parse_create_body(body: Any) -> tuple[JobSpec, bool]:
    """(spec, overwrite) from a decoded JSON body; raises DaprError 400 as daprd does."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise malformed(f"proto: syntax error: unexpected token {json.dumps(body)[:40]}")
    fields = _canonical(body)
    if "name" in fields:
        raise JobNameInBodyError()
    spec = JobSpec(
        schedule=_string(fields, "schedule"),
        repeats=_uint32(fields.get("repeats")),
        due_time=_string(fields, "due_time"),
        ttl=_string(fields, "ttl"),
        data=_data(fields),
        failure_policy=_policy(fields.get("failure_policy")),
    )
    return spec, _bool(fields.get("overwrite"), "overwrite")


def _canonical(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        field = _FIELDS.get(key)
        if field is None:
            continue  # DiscardUnknown
        if field in out:
            raise malformed(f"proto: duplicate field {key}")
        if value is None and field != "data":
            continue  # null means unset in protojson
        out[field] = value
    return out


def _string(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise malformed(f"proto: invalid value for string field {name}: {json.dumps(value)}")
    return value


def _uint32(value: Any) -> int | None:
    if value is None:
        return None
    number: Any = value
    if isinstance(value, str):
        try:
            number = json.loads(value)
        except ValueError:
            number = None
    ok = isinstance(number, int | float) and not isinstance(number, bool)
    ok = ok and math.isfinite(number)  # "1e400" and "NaN" are strings json.loads reads
    if not ok or number != int(number) or not 0 <= number <= _UINT32_MAX:
        raise malformed(f"proto: invalid value for uint32 field repeats: {json.dumps(value)}")
    return int(number)


def _bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise malformed(f"proto: invalid value for bool field {name}: {json.dumps(value)}")
    return value


def _data(fields: dict[str, Any]) -> str | None:
    if "data" not in fields:
        return None
    return json.dumps(_proto_value(fields["data"]), sort_keys=True, separators=(",", ":"))


def _proto_value(value: Any) -> Any:
    """google.protobuf.Value semantics: numbers are doubles (integral ones print as integers)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        as_float = float(value)
        return int(as_float) if as_float.is_integer() and abs(as_float) < 1e21 else as_float
    if isinstance(value, list):
        return [_proto_value(v) for v in value]
    return {k: _proto_value(v) for k, v in value.items()}


def _policy(raw: Any) -> FailurePolicy:
    if raw is None:
        return DEFAULT_POLICY
    if not isinstance(raw, dict):
        raise malformed("proto: invalid value for message field failurePolicy")
    kinds = [k for k in raw if k in ("drop", "constant")]
    if len(kinds) > 1:
        raise malformed("proto: oneof common.v1.JobFailurePolicy.policy is already set")
    if not kinds:
        return DEFAULT_POLICY
    if kinds[0] == "drop":
        return FailurePolicy(PolicyKind.DROP)
    return _constant(raw["constant"])


def _constant(raw: Any) -> FailurePolicy:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise malformed("proto: invalid value for message field constant")
    interval_text = raw.get("interval")
    interval = 0.0
    if interval_text is not None:
        if not isinstance(interval_text, str):
            raise malformed(f"proto: invalid google.protobuf.Duration value {interval_text!r}")
        try:
            delta = parse_proto_duration(interval_text)
        except TimeFormatError as exc:
            raise malformed(str(exc)) from exc
        interval, interval_text = delta.total_seconds(), format_proto_duration(delta)
    retries_raw = raw.get("maxRetries", raw.get("max_retries"))
    retries = None if retries_raw is None else _retries(retries_raw)
    return FailurePolicy(PolicyKind.CONSTANT, interval, retries, interval_text)


def _retries(value: Any) -> int:
    try:
        number = _uint32(value)
    except DaprError as exc:
        raise malformed(f"proto: invalid value for uint32 field maxRetries: {value!r}") from exc
    assert number is not None
    return number
