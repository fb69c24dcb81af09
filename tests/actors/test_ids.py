from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import JOB_KINDS, InvalidIdError, job_name, notification_id, parse_job_name, validate_id
from actors._ids import MAX_JOB_NAME

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", fullmatch=True)
kinds = st.sampled_from(sorted(JOB_KINDS))
SAFE = re.compile(r"[a-z0-9-]+")


@pytest.mark.parametrize("value", ["a", "A1", "agent_1.x-y", "x" * 64])
def test_valid_ids(value: str) -> None:
    assert validate_id("agent_id", value) == value


@pytest.mark.parametrize("value", ["", "-a", ".a", "a b", "a/b", "a:b", "é", "x" * 65])
def test_invalid_ids_name_the_field(value: str) -> None:
    with pytest.raises(InvalidIdError) as info:
        validate_id("task_id", value)
    assert info.value.details == {"field": "task_id"}


def test_readable_name() -> None:
    assert job_name("alice", "t1", "reminder") == "pm-reminder-alice--t1"
    assert job_name("Bob", "a.b", "overdue") == "pm-overdue--42ob--a-2eb"


@given(ids, ids, kinds)
def test_job_names_are_safe_and_parse_back(agent: str, task: str, kind: str) -> None:
    name = job_name(agent, task, kind)
    assert SAFE.fullmatch(name) and len(name) <= MAX_JOB_NAME
    assert "--" in name  # dapr <= 1.18.1 strips '-' and checks DNS-1123: lower alnum remain
    parsed = parse_job_name(name, JOB_KINDS)
    assert parsed is not None and parsed.kind == kind
    if parsed.agent_id is not None:
        assert (parsed.agent_id, parsed.task_id) == (agent, task)


@given(ids, ids)
def test_names_differ_by_step_and_ids(agent: str, task: str) -> None:
    steps = [*JOB_KINDS, "reminder2", "escalation3"]
    names = {job_name(agent, task, k) for k in steps} | {job_name(agent + "x", task, "reminder")}
    assert len(names) == len(steps) + 1


def test_numbered_steps_parse_back_to_their_kind() -> None:
    parsed = parse_job_name(job_name("a", "t", "escalation12"), JOB_KINDS)
    assert parsed is not None
    assert (parsed.kind, parsed.step, parsed.task_id) == ("escalation", "escalation12", "t")


def test_long_ids_use_the_hashed_form() -> None:
    name = job_name("A" * 64, "B" * 64, "reminder")
    assert name.startswith("pm-reminder--h") and len(name) < 64
    parsed = parse_job_name(name, JOB_KINDS)
    assert parsed is not None and (parsed.kind, parsed.agent_id) == ("reminder", None)


@pytest.mark.parametrize(
    "name",
    ["my-lab-job", "pm-", "pm-other-a--b", "pm-reminder-a", "pm-reminder-a--", "pm-reminder-A--b"],
)
def test_foreign_names_do_not_parse(name: str) -> None:
    assert parse_job_name(name, JOB_KINDS) is None


def test_notification_id_is_deterministic() -> None:
    assert notification_id("a", "t", "reminder", 3) == "a:t:reminder:3"
