"""Recorded daprd answers (``snapshots/<group>.json``), the one list of known deviations
(``deviations.yaml``), and the comparison of a replay against both.

A replayed exchange either matches its snapshot, or differs and is a listed deviation (only in
the listed ``fields``, when the entry names some), or is a failure. A listed deviation that no
longer differs is a failure too, so the list stays true.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "snapshots"
DEVIATIONS = HERE / "deviations.yaml"


def _text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def save(group: str, observed: dict[str, dict[str, Any]]) -> Path:
    SNAPSHOTS.mkdir(exist_ok=True)
    path = SNAPSHOTS / f"{group}.json"
    path.write_text(_text(observed))
    return path


def load(group: str) -> dict[str, dict[str, Any]]:
    path = SNAPSHOTS / f"{group}.json"
    if not path.exists():
        return {}
    loaded: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return loaded


@dataclass(frozen=True)
class Deviation:
    """Why the local runtime answers differently; ``fields`` limits where (``/``-separated paths
    into the observation, e.g. ``response/body/message``); empty means anywhere."""

    reason: str
    fields: tuple[str, ...] = ()


def load_deviations(path: Path = DEVIATIONS) -> dict[str, Deviation]:
    raw = yaml.safe_load(path.read_text()) or {}
    return {
        ex_id: Deviation(entry["reason"], tuple(entry.get("fields", ())))
        for ex_id, entry in raw.items()
    }


def _without(value: Any, path: str) -> Any:
    """``value`` with the item at ``path`` removed (no error if it is not there)."""
    head, _, rest = path.partition("/")
    if isinstance(value, dict) and head in value:
        inner = {k: v for k, v in value.items() if k != head}
        if rest:
            inner[head] = _without(value[head], rest)
        return inner
    if isinstance(value, list) and head.isdigit() and int(head) < len(value):
        items = list(value)
        items[int(head)] = _without(items[int(head)], rest) if rest else None
        return items
    return value


def diff(expected: Any, observed: Any) -> str:
    lines = difflib.unified_diff(
        _text(expected).splitlines(),
        _text(observed).splitlines(),
        "daprd (snapshot)",
        "local runtime",
        lineterm="",
    )
    return "\n".join(lines)


@dataclass
class Result:
    """The outcome of a replay: counts and one message per failure."""

    exchanges: int = 0
    deviations: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"parity: {self.exchanges} exchanges, {self.deviations} deviations, "
            f"{len(self.failures)} failures"
        )

    def report(self) -> str:
        return "\n\n".join([*self.failures, self.summary()])


def compare_one(
    ex_id: str, expected: dict[str, Any] | None, observed: dict[str, Any], dev: Deviation | None
) -> str | None:
    """None when the exchange matches or is explained by ``dev``; else why it fails."""
    if expected is None:
        return f"{ex_id}: no snapshot recorded (./dev parity --record)"
    same = _text(expected) == _text(observed)
    if dev is None:
        return None if same else f"{ex_id}: differs from daprd\n{diff(expected, observed)}"
    if same:
        return (
            f"{ex_id}: listed as a deviation but now matches daprd: remove it from deviations.yaml"
        )
    if not dev.fields:  # the whole exchange differs, as the entry says
        return None
    for path in dev.fields:
        expected, observed = _without(expected, path), _without(observed, path)
    if _text(expected) != _text(observed):
        where = ", ".join(dev.fields)
        return (
            f"{ex_id}: differs outside the deviation's fields ({where})\n{diff(expected, observed)}"
        )
    return None


def compare(
    groups: dict[str, dict[str, dict[str, Any]]], deviations: dict[str, Deviation]
) -> Result:
    """Replayed observations per group against the snapshots and the deviation list."""
    result = Result()
    for group, observed in groups.items():
        recorded = load(group)
        for ex_id, obs in observed.items():
            result.exchanges += 1
            failure = compare_one(ex_id, recorded.get(ex_id), obs, deviations.get(ex_id))
            if failure:
                result.failures.append(failure)
            elif ex_id in deviations:
                result.deviations += 1
        stale = sorted(set(recorded) - set(observed))
        result.failures += [
            f"{ex_id}: snapshot of an exchange the catalogue lost" for ex_id in stale
        ]
    seen = {ex_id for observed in groups.values() for ex_id in observed}
    unknown = sorted(set(deviations) - seen)
    result.failures += [
        f"{ex_id}: deviation for an exchange not in the catalogue" for ex_id in unknown
    ]
    return result
