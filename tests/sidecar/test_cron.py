"""Table tests for job schedules (dapr/kit cron semantics), plus property tests."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.cron import NEVER, CronSchedule, EverySchedule, ScheduleError, parse_schedule

T0 = datetime(2026, 3, 7, 12, 0, 0, tzinfo=UTC)  # a Saturday
ROME = ZoneInfo("Europe/Rome")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        ("0 30 * * * *", T0, utc(2026, 3, 7, 12, 30)),
        ("0 15 3 * * *", T0, utc(2026, 3, 8, 3, 15)),
        ("1 2 3 4 5 6", T0, utc(2026, 5, 2, 3, 2, 1)),
        ("* * * * * *", T0, utc(2026, 3, 7, 12, 0, 1)),
        ("* * * * * *", T0 + timedelta(milliseconds=300), utc(2026, 3, 7, 12, 0, 1)),
        ("? ? ? ? ? ?", T0, utc(2026, 3, 7, 12, 0, 1)),
        ("*/15 * * * * *", T0, utc(2026, 3, 7, 12, 0, 15)),
        ("5/20 * * * * *", T0, utc(2026, 3, 7, 12, 0, 5)),
        ("0 0 9-17/4 * * *", T0, utc(2026, 3, 7, 13)),
        ("0 0 0 * * mon-fri", T0, utc(2026, 3, 9)),
        ("0 0 0 * JAN,jul *", T0, utc(2026, 7, 1)),
        ("0 0 0 1-7 * MON", T0, utc(2026, 3, 9)),  # both restricted: day 1-7 OR Monday
        ("0 0 0 1-7 * *", T0, utc(2026, 4, 1)),  # dow is *: AND
        ("0 0 0 */1 * MON", T0, utc(2026, 3, 9)),  # */1 keeps kit's star bit: AND
        ("0 0 0 */2 * MON", T0, utc(2026, 3, 9)),  # */2 does not: OR (9th is Monday)
        ("0 0 0 29 2 *", T0, utc(2028, 2, 29)),
        ("0 0 0 1,,15 * *", T0, utc(2026, 3, 15)),  # kit skips empty list items
        ("0 0 0 31 * *", utc(2026, 4, 1), utc(2026, 5, 31)),
        ("59 59 23 31 12 *", utc(2026, 12, 31, 23, 59, 59), utc(2027, 12, 31, 23, 59, 59)),
        ("@yearly", T0, utc(2027, 1, 1)),
        ("@annually", T0, utc(2027, 1, 1)),
        ("@monthly", T0, utc(2026, 4, 1)),
        ("@weekly", T0, utc(2026, 3, 8)),
        ("@daily", T0, utc(2026, 3, 8)),
        ("@midnight", T0, utc(2026, 3, 8)),
        ("@hourly", T0, utc(2026, 3, 7, 13)),
        ("@every 1h30m", T0, utc(2026, 3, 7, 13, 30)),
        ("@every 500ms", T0, T0 + timedelta(milliseconds=500)),
        ("@every 1ms", T0, T0 + timedelta(milliseconds=1)),
        ("@every 0s", T0, T0),  # accepted by Dapr; the caller must guard against it
        ("CRON_TZ=Europe/Rome 0 0 9 * * *", T0, utc(2026, 3, 8, 8)),
        ("TZ=Europe/Rome 0 0 9 * * *", utc(2026, 3, 29, 6), utc(2026, 3, 29, 7)),  # CEST now
        ("CRON_TZ=Europe/Rome @daily", T0, utc(2026, 3, 7, 23)),
        ("CRON_TZ=UTC 0 0 9 * * *", T0, utc(2026, 3, 8, 9)),
        ("TZ= 0 0 9 * * *", T0, utc(2026, 3, 8, 9)),  # Go: LoadLocation("") is UTC
        ("CRON_TZ=Asia/Kolkata 0 0 0 * * *", T0, utc(2026, 3, 7, 18, 30)),
    ],
)
def test_next(spec: str, after: datetime, expected: datetime) -> None:
    got = parse_schedule(spec).next(after)
    assert got == expected
    assert got.tzinfo is UTC


def test_every_counts_from_the_given_tick() -> None:
    schedule = parse_schedule("@every 1s")
    assert isinstance(schedule, EverySchedule)
    assert schedule.next(T0 + timedelta(microseconds=250)) == T0 + timedelta(
        seconds=1, microseconds=250
    )


def test_naive_input_is_utc() -> None:
    assert parse_schedule("@hourly").next(datetime(2026, 3, 7, 12)) == utc(2026, 3, 7, 13)


def test_impossible_date_never_fires() -> None:
    assert parse_schedule("0 0 0 30 2 *").next(T0) is NEVER
    assert parse_schedule("0 0 0 , * *").next(T0) is NEVER


def test_dst_spring_forward_skips_missing_wall_time() -> None:
    schedule = parse_schedule("CRON_TZ=America/New_York 0 30 2 * * *")
    ticks = _ticks(schedule, utc(2026, 3, 7, 8), 2)  # after 03:00 EST on Mar 7
    assert [t.astimezone(NEW_YORK).isoformat() for t in ticks] == [
        "2026-03-09T02:30:00-04:00",  # 2026-03-08 02:30 does not exist
        "2026-03-10T02:30:00-04:00",
    ]


def test_dst_fall_back_fires_repeated_wall_time_twice() -> None:
    """kit steps hours by elapsed time, so 01:30 fires in EDT and again in EST."""
    schedule = parse_schedule("CRON_TZ=America/New_York 0 30 1 * * *")
    ticks = _ticks(schedule, utc(2026, 11, 1), 3)
    assert [t.astimezone(NEW_YORK).isoformat() for t in ticks] == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-02T01:30:00-05:00",
    ]


def test_dst_hourly_in_zone_is_every_elapsed_hour() -> None:
    schedule = parse_schedule("CRON_TZ=Europe/Rome 0 0 * * * *")
    ticks = _ticks(schedule, utc(2026, 3, 28, 23), 3)  # 00:00 CET
    assert ticks == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)]


def _ticks(schedule: CronSchedule | EverySchedule, after: datetime, n: int) -> list[datetime]:
    out = []
    for _ in range(n):
        after = schedule.next(after)
        out.append(after)
    return out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty spec string"),
        ("* * * * *", "expected exactly 6 fields, found 5: [* * * * *]"),
        ("0 0  9 *\t* * *", "expected exactly 6 fields, found 7: [0 0 9 * * * *]"),
        ("2h45m", "expected exactly 6 fields, found 1: [2h45m]"),
        (" @daily", "expected exactly 6 fields, found 1: [@daily]"),
        ("@foo", "unrecognized descriptor: @foo"),
        ("@daily ", "unrecognized descriptor: @daily "),
        ("@every", "unrecognized descriptor: @every"),
        (
            "@every 1x",
            'failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"',
        ),
        ("@every  1s", 'failed to parse duration @every  1s: time: invalid duration " 1s"'),
        (
            "CRON_TZ=Mars/Olympus 0 0 9 * * *",
            "provided bad location Mars/Olympus: unknown time zone Mars/Olympus",
        ),
        (
            "TZ=../etc/passwd * * * * * *",
            "provided bad location ../etc/passwd: time: invalid location name",
        ),
        ("TZ=UTC", "timezone prefix TZ=UTC is not followed by a schedule"),
        ("TZ=UTC   ", "timezone prefix TZ=UTC    is not followed by a schedule"),
        (
            "CRON_TZ=Europe/Rome @every 1s",
            "timezone is not supported for @every schedules: CRON_TZ=Europe/Rome @every 1s",
        ),
        ("60 * * * * *", "end of range (60) above maximum (59): 60"),
        ("* * * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("* * * * 13 *", "end of range (13) above maximum (12): 13"),
        ("* * * * * 7", "end of range (7) above maximum (6): 7"),
        ("5-1 * * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * * *", "too many hyphens: 1-2-3"),
        ("1/2/3 * * * * *", "too many slashes: 1/2/3"),
        ("a * * * * *", 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'),
        ("-1 * * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'),
        ("*/-1 * * * * *", "negative number (-1) not allowed: -1"),
        ("L * * * * *", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'),
        (
            "* * * * * 2#2",
            'failed to parse int from 2#2: strconv.Atoi: parsing "2#2": invalid syntax',
        ),
        (
            "99999999999999999999 * * * * *",
            "failed to parse int from 99999999999999999999: strconv.Atoi: parsing "
            '"99999999999999999999": value out of range',
        ),
    ],
)
def test_parse_schedule_rejects(spec: str, message: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_schedule(spec)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "spec", ["*-5 * * * * *", "+5 * * * * *", "0 0 0 ? * SUN", "0 0 0 * * Sun"]
)
def test_kit_quirks_accepted(spec: str) -> None:
    parse_schedule(spec)


# --- properties --------------------------------------------------------------------------------


def _part(low: int, high: int, *, star_step: bool = True) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    steps = st.integers(2, 9).map(lambda s: f"*/{s}") if star_step else st.nothing()
    return st.one_of(
        st.just("*"),
        value.map(str),
        st.tuples(value, value).filter(lambda p: p[0] != p[1]).map(lambda p: f"{min(p)}-{max(p)}"),
        st.tuples(value, value, st.integers(2, 9))
        .filter(lambda p: p[0] != p[1])  # croniter mis-reads "0-0" in the dow field
        .map(lambda p: f"{min(p[:2])}-{max(p[:2])}/{p[2]}"),
        steps,
    )


def _field(low: int, high: int, *, star_step: bool = True) -> st.SearchStrategy[str]:
    return st.one_of(
        _part(low, high, star_step=star_step),
        st.lists(_part(low, high).filter(lambda p: "*" not in p), min_size=2, max_size=3).map(
            ",".join
        ),
    )


# "*/2" in day-of-month or day-of-week is not a star for kit's day rule (it is for croniter), so
# the comparison with croniter leaves it out of those two fields.
SPECS = st.tuples(
    _field(0, 59),
    _field(0, 59),
    _field(0, 23),
    _field(1, 28, star_step=False),
    _field(1, 12),
    _field(0, 6, star_step=False),
).map(" ".join)
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
ZONES = st.sampled_from(
    ["UTC", "Europe/Rome", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
)


@settings(max_examples=300, deadline=None)
@given(SPECS, INSTANTS)
def test_matches_croniter_in_utc(spec: str, after: datetime) -> None:
    """croniter agrees with kit on this grammar subset (no a/s, no ? and no */1) in UTC."""
    expected = croniter(spec, after, second_at_beginning=True).get_next(datetime)
    assert parse_schedule(spec).next(after) == expected


@settings(max_examples=300, deadline=None)
@given(SPECS, INSTANTS, ZONES)
def test_next_is_a_later_match(spec: str, after: datetime, zone: str) -> None:
    schedule = parse_schedule(f"CRON_TZ={zone} {spec}")
    assert isinstance(schedule, CronSchedule)
    got = schedule.next(after)
    assert got > after
    assert schedule.matches(got)
    assert not any(
        schedule.matches(got - timedelta(seconds=s))
        for s in range(1, 60)
        if got - timedelta(seconds=s) > after
    )


@given(
    st.one_of(
        st.text(),
        st.text(st.sampled_from(list("0123456789*?/-, @TZCRON_=everyEuopa/Rm\t")), max_size=40),
    )
)
def test_parse_raises_only_schedule_error(spec: str) -> None:
    with contextlib.suppress(ScheduleError):
        parse_schedule(spec)


def test_star_step_in_day_field_is_not_a_star_for_the_day_rule() -> None:
    # kit clears the star bit when a step > 1 is given: day-of-month "*/2" OR day-of-week "0-6"
    after = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)  # a Thursday, an odd day
    assert parse_schedule("0 0 0 */2 * 0-6").next(after) == datetime(2026, 1, 2, tzinfo=UTC)
