"""Properties of the time and schedule parsers beyond tests/sidecar/test_timefmt.py, test_cron.py
and tests/actors/test_times.py: sign and sum laws, offsets, ISO fields, descriptors, cron
notation equivalences, "no tick skipped", and the agent's own parsers on arbitrary input."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from actors import (
    InvalidDurationError,
    InvalidTimeError,
    format_duration,
    format_instant,
    parse_duration,
    parse_instant,
)
from actors._times import MAX_DURATION
from sidecar.cron import CronSchedule, EverySchedule, ScheduleError, parse_schedule
from sidecar.timefmt import (
    IsoDuration,
    TimeFormatError,
    format_go_duration,
    parse_go_duration,
    parse_iso_duration,
    parse_point_in_time,
    parse_reminder_period,
    parse_rfc3339,
)

BASE = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)
UNITS = {"h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000, "ms": 1000, "us": 1, "µs": 1}
GO_PART = st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(UNITS)))
INSTANTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timedelta(minutes=m))
ZONES = st.sampled_from(["UTC", "Europe/Rome", "America/New_York", "Asia/Kathmandu"])
quick = settings(max_examples=150, deadline=None)


# --- sidecar.timefmt ----------------------------------------------------------------------


@quick
@given(st.lists(GO_PART, min_size=1, max_size=5))
def test_go_duration_is_the_sum_of_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    micros = sum(n * UNITS[unit] for n, unit in parts)
    assert parse_go_duration(text) == timedelta(microseconds=micros)


@quick
@given(st.lists(GO_PART, min_size=1, max_size=4))
def test_go_duration_sign_laws(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    assert parse_go_duration("+" + text) == parse_go_duration(text)
    assert parse_go_duration("-" + text) == -parse_go_duration(text)


@quick
@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)))
def test_go_duration_text_is_a_point_in_time_after_base(delta: timedelta) -> None:
    assert parse_point_in_time(format_go_duration(delta), BASE) == BASE + delta


@quick
@given(INSTANTS, OFFSETS, st.integers(0, 999_999), st.integers(0, 3))
def test_rfc3339_with_any_offset_and_fraction_is_the_same_instant(
    when: datetime, offset: timedelta, micros: int, extra_digits: int
) -> None:
    moment = when.replace(microsecond=micros)
    local = moment.astimezone(timezone(offset))
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}" + "7" * extra_digits
    text += local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    parsed = parse_rfc3339(text)
    assert parsed == moment
    assert parsed.utcoffset() == offset
    assert parse_point_in_time(text, BASE) == moment


FIELDS = st.fixed_dictionaries(
    {k: st.integers(0, 99) for k in ("years", "months", "weeks", "days")}
    | {k: st.integers(0, 9999) for k in ("hours", "minutes", "seconds")}
)


@quick
@given(FIELDS, st.one_of(st.none(), st.integers(1, 1000)))
def test_iso_duration_fields_round_trip(fields: dict[str, int], repeats: int | None) -> None:
    date = "".join(f"{fields[k]}{d}" for k, d in (("years", "Y"), ("months", "M"), ("weeks", "W")))
    date += f"{fields['days']}D"
    clock = "".join(
        f"{fields[k]}{d}" for k, d in (("hours", "H"), ("minutes", "M"), ("seconds", "S"))
    )
    text = f"P{date}T{clock}" if repeats is None else f"R{repeats}/P{date}T{clock}"
    clock = timedelta(hours=fields["hours"], minutes=fields["minutes"], seconds=fields["seconds"])
    days = 7 * fields["weeks"] + fields["days"]  # kit: a week is seven days
    expected = IsoDuration(fields["years"], fields["months"], days, clock)
    assert parse_iso_duration(text) == (expected, repeats)


@quick
@given(st.integers(0, 9999), st.integers(0, 9999), st.integers(0, 9999), st.integers(1, 99))
def test_reminder_period_iso_and_go_forms_agree(h: int, m: int, s: int, n: int) -> None:
    clock = timedelta(hours=h, minutes=m, seconds=s)
    assert parse_reminder_period(f"PT{h}H{m}M{s}S") == (clock, None)
    assert parse_reminder_period(f"R{n}/PT{h}H{m}M{s}S") == (clock, n)
    assert parse_reminder_period(f"{h}h{m}m{s}s") == (clock, None)


# --- sidecar.cron -------------------------------------------------------------------------

_SEC = st.sampled_from(["*", "0", "5", "1-3", "*/2", "0,30", "10-40/5"])
_HOUR = st.sampled_from(["*", "0", "5", "1-3", "*/2", "0,12", "8-20/4"])
_DOM = st.sampled_from(["*", "1", "5", "1-3", "*/2", "1,15", "10-28/5"])
SPECS = st.tuples(_SEC, _SEC, _HOUR, _DOM, st.just("*"), st.just("*")).map(" ".join)


@quick
@given(SPECS, INSTANTS, st.integers(0, 10_000))
def test_no_tick_is_skipped_between_after_and_next(
    spec: str, after: datetime, offset_s: int
) -> None:
    """``next(u) == next(after)`` for every ``u`` in ``[after, next(after))``."""
    schedule = parse_schedule(spec)
    got = schedule.next(after)
    probe = after + timedelta(seconds=offset_s)
    if probe < got:
        assert schedule.next(probe) == got


@quick
@given(SPECS, INSTANTS, OFFSETS)
def test_next_does_not_depend_on_how_after_is_written(
    spec: str, after: datetime, offset: timedelta
) -> None:
    schedule = parse_schedule(f"CRON_TZ=Europe/Rome {spec}")
    assert schedule.next(after) == schedule.next(after.astimezone(timezone(offset)))


@quick
@given(
    SPECS, INSTANTS, st.lists(st.sampled_from([" ", "\t", "  ", " \t "]), min_size=5, max_size=5)
)
def test_whitespace_between_fields_does_not_matter(
    spec: str, after: datetime, gaps: list[str]
) -> None:
    fields = spec.split(" ")
    spaced = fields[0] + "".join(g + f for g, f in zip(gaps, fields[1:], strict=True))
    assert parse_schedule(f" {spaced}\t").next(after) == parse_schedule(spec).next(after)


MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


@quick
@given(st.integers(1, 12), st.integers(0, 6), INSTANTS, st.booleans())
def test_month_and_day_names_equal_numbers(
    month: int, day: int, after: datetime, upper: bool
) -> None:
    names = f"0 0 0 * {MONTHS[month - 1]} {DAYS[day]}"
    names = names.upper() if upper else names
    assert parse_schedule(names).next(after) == parse_schedule(f"0 0 0 * {month} {day}").next(after)


@quick
@given(INSTANTS, ZONES)
def test_descriptors_equal_their_cron(after: datetime, zone: str) -> None:
    pairs = {
        "@yearly": "0 0 0 1 1 *",
        "@monthly": "0 0 0 1 * *",
        "@weekly": "0 0 0 * * 0",
        "@daily": "0 0 0 * * *",
        "@hourly": "0 0 * * * *",
    }
    for descriptor, cron in pairs.items():
        left = parse_schedule(f"CRON_TZ={zone} {descriptor}").next(after)
        assert left == parse_schedule(f"CRON_TZ={zone} {cron}").next(after), descriptor


@quick
@given(st.lists(GO_PART, min_size=1, max_size=3), INSTANTS)
def test_every_is_a_fixed_step(parts: list[tuple[int, str]], after: datetime) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    try:
        schedule = parse_schedule(f"@every {text}")
    except ScheduleError:
        return
    assert isinstance(schedule, EverySchedule)
    if schedule.delay == timedelta(0):  # "@every 0s" is accepted, as by Dapr (test_cron.py)
        return
    first = schedule.next(after)
    assert first > after
    assert schedule.next(first) - first == first - after


@quick
@given(SPECS, INSTANTS)
def test_next_is_strictly_increasing_and_matches(spec: str, after: datetime) -> None:
    schedule = parse_schedule(spec)
    assert isinstance(schedule, CronSchedule)
    t = after
    for _ in range(5):
        nxt = schedule.next(t)
        assert nxt > t and schedule.matches(nxt)
        t = nxt


# --- the agent's own parsers (actors._times) -----------------------------------------------

AGENT_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from(list("0123456789.+-PTWDHMSZYptz:hmsnuµμ ")), max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(AGENT_TEXT, st.integers(), st.none(), st.lists(st.integers(), max_size=2)))
def test_agent_parsers_raise_only_their_own_errors(value: object) -> None:
    with contextlib.suppress(InvalidDurationError):
        parse_duration("remind_before", value)  # type: ignore[arg-type]
    with contextlib.suppress(InvalidTimeError):
        parse_instant("due_at", value)  # type: ignore[arg-type]


@quick
@given(st.timedeltas(min_value=timedelta(0), max_value=MAX_DURATION))
def test_agent_duration_round_trips(delta: timedelta) -> None:
    assert parse_duration("d", format_duration(delta)) == delta


@quick
@given(st.timedeltas(min_value=timedelta(0), max_value=MAX_DURATION))
def test_agent_go_durations_agree_with_the_sidecar(delta: timedelta) -> None:
    text = format_go_duration(delta)
    assert abs(parse_duration("d", text) - parse_go_duration(text)) <= timedelta(microseconds=1)


@quick
@given(INSTANTS.map(lambda t: t.replace(microsecond=t.microsecond)), ZONES)
def test_agent_instants_round_trip_in_any_zone(when: datetime, zone: str) -> None:
    text = format_instant(when, zone)
    assert parse_instant("due_at", text) == when
    assert parse_rfc3339(text) == when  # and the sidecar reads the agent's text the same


@quick
@given(st.text(max_size=30))
def test_sidecar_parsers_on_text_raise_only_their_errors(text: str) -> None:
    with contextlib.suppress(TimeFormatError):
        parse_reminder_period(text)
    with contextlib.suppress(ScheduleError):
        parse_schedule(f"@every {text}")
