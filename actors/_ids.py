"""Agent and task ids, notification ids, and the job names derived from them.

Job names are ``pm-{step}-{agent}--{task}`` (the step key is its kind, numbered from the
second of a kind on: ``reminder``, ``reminder2``) where each id is escaped into ``[a-z0-9-]``:
lower-case letters and digits stay, every other byte becomes ``-`` plus two hex digits. Such
names pass every Dapr name check from 1.14 (DNS-1123 after stripping ``-``) to 1.18, need no URL
escaping, and parse back. Names that would exceed :data:`MAX_JOB_NAME` use
``pm-{step}--h{sha256 prefix}`` (``-h`` never starts an escape), which still names the step.
Either way the job's data
record is the source of truth.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ._errors import InvalidIdError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
JOB_PREFIX = "pm-"
MAX_JOB_NAME = 200
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_HEX = frozenset("0123456789abcdef")


def validate_id(field: str, value: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InvalidIdError(field, str(value))
    return value


def notification_id(agent_id: str, task_id: str, kind: str, version: int) -> str:
    """Deterministic per (agent, task, kind, schedule version); ``:`` never occurs in ids."""
    return f"{agent_id}:{task_id}:{kind}:{version}"


@dataclass(frozen=True, slots=True)
class JobName:
    """What a job name says: always the kind; the ids unless the name is the hashed form."""

    kind: str
    agent_id: str | None = None
    task_id: str | None = None
    step: str = ""


def job_name(agent_id: str, task_id: str, kind: str) -> str:
    name = f"{JOB_PREFIX}{kind}-{_escape(agent_id)}--{_escape(task_id)}"
    if len(name) <= MAX_JOB_NAME:
        return name
    digest = hashlib.sha256(f"{agent_id}\0{task_id}\0{kind}".encode()).hexdigest()[:32]
    return f"{JOB_PREFIX}{kind}--h{digest}"


def parse_job_name(name: str, kinds: frozenset[str]) -> JobName | None:
    """The parts of one of our job names, or None for any other name (e.g. a lab job)."""
    if not name.startswith(JOB_PREFIX):
        return None
    step, sep, rest = name[len(JOB_PREFIX) :].partition("-")
    kind = step.rstrip("0123456789")
    if not sep or kind not in kinds or not rest:
        return None
    if rest.startswith("-h"):
        return JobName(kind, step=step) if _is_hex(rest[2:]) else None
    try:
        agent_id, task_id = _unescape_pair(rest)
    except ValueError:
        return None
    return JobName(kind, agent_id, task_id, step)


def _escape(value: str) -> str:
    return "".join(chr(b) if chr(b) in _PLAIN else f"-{b:02x}" for b in value.encode("utf-8"))


def _unescape_pair(text: str) -> tuple[str, str]:
    parts: list[bytearray] = [bytearray()]
    i = 0
    while i < len(text):
        i = _unescape_step(text, i, parts)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise ValueError("not an escaped id pair")
    return parts[0].decode("utf-8"), parts[1].decode("utf-8")


def _unescape_step(text: str, i: int, parts: list[bytearray]) -> int:
    char = text[i]
    if char in _PLAIN:
        parts[-1].append(ord(char))
        return i + 1
    if char != "-":
        raise ValueError(f"unexpected {char!r}")
    if text[i + 1 : i + 2] == "-":
        parts.append(bytearray())
        return i + 2
    pair = text[i + 1 : i + 3]
    if len(pair) != 2 or not _is_hex(pair):
        raise ValueError("bad escape")
    parts[-1].append(int(pair, 16))
    return i + 3


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in _HEX for c in text)
