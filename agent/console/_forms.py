"""The console's HTML forms, read into the JSON API's request models; a bad field raises the
same ``TaskError`` the API answers with, naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from actors import InvalidFieldError, InvalidTimeError, validate_id

from ..schemas import SnoozeBody, TaskCreate

M = TypeVar("M", bound=BaseModel)
ASSIGN_FIELDS = ("id", "title", "description", "assignee", "due_at", "remind_before", "time_zone")


def filled(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The named fields that are not blank, stripped."""
    values = {name: str(form.get(name) or "").strip() for name in names}
    return {name: value for name, value in values.items() if value}


def assign_request(form: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(agent_id, AssignTask payload)``; ``due_at`` without an offset is read in ``time_zone``
    (what a ``datetime-local`` field sends)."""
    agent_id = validate_id("agent_id", str(form.get("agent_id") or "").strip())
    fields = filled(form, ASSIGN_FIELDS)
    if "due_at" in fields:
        fields["due_at"] = with_zone(fields["due_at"], fields.get("time_zone", "UTC"))
    return agent_id, _model(TaskCreate, fields).model_dump(exclude_none=True)


def snooze_request(form: Mapping[str, Any]) -> dict[str, Any]:
    fields = filled(form, ("for",))
    if not fields:
        raise InvalidFieldError("for", "give a duration, e.g. 1h or PT30M")
    return _model(SnoozeBody, fields).model_dump(by_alias=True, exclude_none=True)


def with_zone(text: str, zone_name: str) -> str:
    """RFC 3339 as given; a local date and time gets ``zone_name``'s offset at that time."""
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        return text  # the actor names what is wrong with it
    if local.tzinfo is not None:
        return text
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimeError("time_zone", f"{zone_name!r} is not an IANA time zone") from exc
    return local.replace(tzinfo=zone).isoformat()


def _model(model: type[M], fields: dict[str, str]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "form"
        raise InvalidFieldError(name, first["msg"]) from exc
