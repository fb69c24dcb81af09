"""An iCalendar feed (RFC 5545, built with ``icalendar``) of an agent's due dates: one VEVENT
per task that is not cancelled, at its due time (UTC), with its zone's local time in the text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icalendar import Calendar, Event


def tasks_calendar(agent_id: str, tasks: list[dict[str, Any]], stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//pm-reminder-agent//tasks//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Tasks of {agent_id}")
    for task in tasks:
        if task["status"] != "cancelled":
            calendar.add_component(_event(task, stamp))
    return bytes(calendar.to_ical())


def _event(task: dict[str, Any], stamp: datetime) -> Event:
    due = datetime.fromisoformat(task["due_at"])
    event = Event()
    event.add("uid", f"{task['agent_id']}.{task['id']}@pm-reminder-agent")
    event.add("dtstamp", stamp)
    event.add("dtstart", due)
    event.add("dtend", due)
    event.add("summary", task["title"])
    lines = [f"Assigned to {task['assignee']}; due {task['due_at_local']} ({task['time_zone']})."]
    if task["description"]:
        lines.append(task["description"])
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED" if task["status"] == "open" else "COMPLETED")
    event.add("categories", [task["status"]])
    return event
