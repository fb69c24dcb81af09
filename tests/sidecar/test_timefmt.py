"""Table tests for the Dapr time-string converters, plus property tests on arbitrary text."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.timefmt import (
    IsoDuration,
    TimeFormatError,
    format_go_duration,
    format_proto_duration,
    format_rfc3339,
    parse_actor_due_time,
    parse_go_duration,
    parse_iso_duration,
    parse_point_in_time,
    parse_proto_duration,
    parse_reminder_period,
    parse_rfc3339,
    parse_timer_period,
)

BASE = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
td = timedelta


def test_has_calendar_part() -> None:
    assert parse_iso_duration("P1W")[0].has_calendar_part
    assert not IsoDuration(clock=td(hours=1)).has_calendar_part


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", td(0)),
        ("-0", td(0)),
        ("+0", td(0)),
        ("10s", td(seconds=10)),
        ("1h30m", td(hours=1, minutes=30)),
        ("1.5h", td(hours=1, minutes=30)),
        ("500ms", td(milliseconds=500)),
        ("-5m", td(minutes=-5)),
        ("+3s", td(seconds=3)),
        (".5s", td(milliseconds=500)),
        ("1.h", td(hours=1)),
        ("1us", td(microseconds=1)),
        ("1\u00b5s", td(microseconds=1)),
        ("1\u03bcs", td(microseconds=1)),
        ("1500ns", td(microseconds=1)),
        ("999ns", td(0)),
        ("-1ns", td(0)),
        ("0h0m5s0ms0\u03bcs", td(seconds=5)),
        ("1h0m0s0ms0\u03bcs", td(hours=1)),
        ("2h45m", td(hours=2, minutes=45)),
        ("2562047h47m16.854775807s", td(hours=2562047, minutes=47, seconds=16.854775)),
        ("-2562047h47m16.854775808s", -td(hours=2562047, minutes=47, seconds=16.854775)),
    ],
)
def test_parse_go_duration(text: str, expected: timedelta) -> None:
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("-", 'time: invalid duration "-"'),
        ("1", 'time: missing unit in duration "1"'),
        ("1h2", 'time: missing unit in duration "1h2"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("1 s", 'time: unknown unit " s" in duration "1 s"'),
        (".s", 'time: invalid duration ".s"'),
        ("--1s", 'time: invalid duration "--1s"'),
        ("2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'),
        ("9223372036854775809ns", 'time: invalid duration "9223372036854775809ns"'),
        ("PT1S", 'time: invalid duration "PT1S"'),
    ],
)
def test_parse_go_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(TimeFormatError) as err:
        parse_go_duration(text)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (td(0), "0s"),
        (td(hours=1, minutes=30), "1h30m0s"),
        (td(milliseconds=500), "500ms"),
        (td(seconds=1.5), "1.5s"),
        (td(minutes=-2), "-2m0s"),
        (td(microseconds=1), "1\u00b5s"),
        (td(microseconds=1500), "1.5ms"),
        (td(days=2), "48h0m0s"),
        (td(minutes=1, microseconds=1), "1m0.000001s"),
    ],
)
def test_format_go_duration(delta: timedelta, text: str) -> None:
    assert format_go_duration(delta) == text


@pytest.mark.parametrize(
    ("text", "expected", "repeats"),
    [
        ("PT1H", IsoDuration(clock=td(hours=1)), None),
        ("PT2H30M", IsoDuration(clock=td(hours=2, minutes=30)), None),
        ("P1DT2H", IsoDuration(days=1, clock=td(hours=2)), None),
        ("P1Y2M", IsoDuration(years=1, months=2), None),
        ("P2W", IsoDuration(days=14), None),
        ("P1Y2M3W4DT5H6M7S", IsoDuration(1, 2, 25, td(hours=5, minutes=6, seconds=7)), None),
        ("R5/PT10S", IsoDuration(clock=td(seconds=10)), 5),
        ("R-1/PT10S", IsoDuration(clock=td(seconds=10)), None),  # kit: negative = unbounded
        ("R5", IsoDuration(), 5),  # kit: nothing after the repetitions is a zero duration
        ("PT", IsoDuration(), None),
        ("PT-5S", IsoDuration(clock=td(seconds=-5)), None),  # kit uses Atoi, which takes a sign
        ("PT1S1H", IsoDuration(clock=td(hours=1, seconds=1)), None),  # any order
        ("P1Y2Y", IsoDuration(years=2), None),  # kit assigns years: last wins
        ("P1D2D", IsoDuration(days=3), None),  # …and sums days
    ],
)
def test_parse_iso_duration(text: str, expected: IsoDuration, repeats: int | None) -> None:
    assert parse_iso_duration(text) == (expected, repeats)


@pytest.mark.parametrize(
    "text", ["", "P", "R", "R/PT1S", "Rx/PT1S", "1h", "PT1.5S", "P1H", "PT1D", "PTM", "P1DT", "PXT"]
)
def test_parse_iso_duration_rejects(text: str) -> None:
    if text == "P1DT":  # kit accepts a trailing T (nothing after it)
        assert parse_iso_duration(text) == (IsoDuration(days=1), None)
        return
    with pytest.raises(TimeFormatError, match="unsupported ISO8601 duration format"):
        parse_iso_duration(text)


def test_parse_iso_duration_zero_repetitions() -> None:
    with pytest.raises(TimeFormatError, match="^has zero repetitions$"):
        parse_iso_duration("R0/PT1S")


@pytest.mark.parametrize(
    ("duration", "start", "expected"),
    [
        (
            IsoDuration(months=1),
            datetime(2026, 1, 31, tzinfo=UTC),
            datetime(2026, 3, 3, tzinfo=UTC),
        ),
        (IsoDuration(years=1), datetime(2024, 2, 29, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)),
        (IsoDuration(days=1, clock=td(hours=2)), BASE, BASE + td(days=1, hours=2)),
        (IsoDuration(days=6), BASE, BASE + td(days=6)),
        (
            IsoDuration(months=-2),
            datetime(2026, 1, 15, tzinfo=UTC),
            datetime(2025, 11, 15, tzinfo=UTC),
        ),
    ],
)
def test_iso_duration_add_to(duration: IsoDuration, start: datetime, expected: datetime) -> None:
    assert duration.add_to(start) == expected


def test_iso_duration_clock_part_is_elapsed_time_across_dst() -> None:
    from zoneinfo import ZoneInfo

    rome = ZoneInfo("Europe/Rome")
    start = datetime(2026, 3, 29, 1, 0, tzinfo=rome)  # clocks jump 02:00 -> 03:00
    assert IsoDuration(clock=td(hours=2)).add_to(start) == datetime(2026, 3, 29, 4, 0, tzinfo=rome)
    assert IsoDuration(days=1).add_to(start) == datetime(2026, 3, 30, 1, 0, tzinfo=rome)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-01T09:00:00Z", datetime(2026, 9, 1, 9, tzinfo=UTC)),
        ("2026-09-01T09:00:00+02:00", datetime(2026, 9, 1, 7, tzinfo=UTC)),
        ("2026-09-01T09:00:00-05:30", datetime(2026, 9, 1, 14, 30, tzinfo=UTC)),
        ("2026-09-01T09:00:00.5Z", datetime(2026, 9, 1, 9, 0, 0, 500000, tzinfo=UTC)),
        ("2026-09-01T09:00:00.123456789Z", datetime(2026, 9, 1, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2026-09-01T9:00:00Z", datetime(2026, 9, 1, 9, tzinfo=UTC)),  # Go's fallback parser
        ("2026-09-01T09:00:00,25Z", datetime(2026, 9, 1, 9, 0, 0, 250000, tzinfo=UTC)),
        ("2026-01-01T00:00:00+24:00", datetime(2025, 12, 31, tzinfo=UTC)),
        ("2024-02-29T23:59:59Z", datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_parse_rfc3339(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_parse_rfc3339_keeps_offset() -> None:
    assert parse_rfc3339("2026-09-01T09:00:00+02:00").utcoffset() == td(hours=2)


@pytest.mark.parametrize(
    "text",
    [
        "2026-09-01T09:00:00",  # offset is mandatory
        "2026-09-01 09:00:00Z",
        "2026-09-01t09:00:00Z",
        "2026-09-01T09:00:00z",
        "2026-09-01T09:00Z",
        "2026-9-01T09:00:00Z",
        "2026-02-29T09:00:00Z",
        "2026-09-01T24:00:00Z",
        "2026-09-01T09:60:00Z",
        "2026-09-01T09:00:60Z",
        "2026-09-01T09:00:00+0200",
        "2026-09-01T09:00:00+25:00",
        "2026-09-01T09:00:00.Z",
        "0000-01-01T00:00:00Z",  # Go has year 0; Python does not
        "２０２６-09-01T09:00:00Z",
    ],
)
def test_parse_rfc3339_rejects(text: str) -> None:
    with pytest.raises(TimeFormatError):
        parse_rfc3339(text)


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (datetime(2026, 9, 1, 9, tzinfo=UTC), "2026-09-01T09:00:00Z"),
        (datetime(2026, 9, 1, 9, 0, 0, 500000, tzinfo=UTC), "2026-09-01T09:00:00.5Z"),
        (datetime(2026, 9, 1, 9, 0, 0, 123, tzinfo=UTC), "2026-09-01T09:00:00.000123Z"),
        (datetime(2026, 9, 1, 9, tzinfo=timezone(td(hours=2))), "2026-09-01T07:00:00Z"),
        (datetime(2026, 9, 1, 9), "2026-09-01T09:00:00Z"),
    ],
)
def test_format_rfc3339(when: datetime, text: str) -> None:
    assert format_rfc3339(when) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3s", td(seconds=3)),
        ("0.5s", td(milliseconds=500)),
        ("-1.5s", td(seconds=-1.5)),
        ("0s", td(0)),
        ("-0s", td(0)),
        ("1.s", td(seconds=1)),
        ("1.000000001s", td(seconds=1)),
        ("315576000000s", td(seconds=315576000000)),
    ],
)
def test_parse_proto_duration(text: str, expected: timedelta) -> None:
    assert parse_proto_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["1m", "3", "", "s", "+3s", "01s", ".5s", "1.0000000001s", "1e3s", " 3s", "-s"]
)
def test_parse_proto_duration_rejects(text: str) -> None:
    with pytest.raises(TimeFormatError, match="invalid google.protobuf.Duration value"):
        parse_proto_duration(text)


def test_parse_proto_duration_range() -> None:
    with pytest.raises(TimeFormatError, match="out of range"):
        parse_proto_duration("315576000001s")


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (td(seconds=3), "3s"),
        (td(milliseconds=500), "0.500s"),
        (td(seconds=-1.5), "-1.500s"),
        (td(microseconds=-1), "-0.000001s"),
        (td(seconds=1, microseconds=10), "1.000010s"),
        (td(0), "0s"),
    ],
)
def test_format_proto_duration(delta: timedelta, text: str) -> None:
    assert format_proto_duration(delta) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-01T09:00:00+02:00", datetime(2026, 9, 1, 7, tzinfo=UTC)),
        ("10s", BASE + td(seconds=10)),
        ("1h30m", BASE + td(hours=1, minutes=30)),
        ("-5m", BASE - td(minutes=5)),
        ("PT1H", BASE + td(hours=1)),
        ("P1DT2H", BASE + td(days=1, hours=2)),
        ("P1M", datetime(2026, 3, 3, 12, tzinfo=UTC)),  # Go AddDate: Jan 31 + 1 month
        ("R0/PT5S", BASE + td(seconds=5)),  # go-etcd-cron only refuses repeats > 0
    ],
)
def test_parse_point_in_time(text: str, expected: datetime) -> None:
    assert parse_point_in_time(text, BASE) == expected
    assert parse_point_in_time(text, BASE, field="ttl") == expected


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("R2/PT1H", "due time", "repeats not supported for due time"),
        ("R2/PT1H", "ttl", "ttl format not recognized"),
        ("tomorrow", "due time", "due time format not recognized"),
        ("tomorrow", "ttl", "ttl format not recognized"),
        ("", "due time", "due time format not recognized"),
        ("2026-09-01", "due time", "due time format not recognized"),
        ("P9999Y", "due time", "due time format not recognized"),
    ],
)
def test_parse_point_in_time_rejects(text: str, field: str, message: str) -> None:
    with pytest.raises(TimeFormatError) as err:
        parse_point_in_time(text, BASE, field=field)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", BASE),
        ("0h0m9s0ms", BASE + td(seconds=9)),
        ("PT2H30M", BASE + td(hours=2, minutes=30)),
        ("2026-09-01T09:00:00.5Z", datetime(2026, 9, 1, 9, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_parse_actor_due_time(text: str, expected: datetime) -> None:
    assert parse_actor_due_time(text, BASE) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("R5/PT1S", "repetitions are not allowed"),
        ("soon", "unsupported time/duration format: soon"),
    ],
)
def test_parse_actor_due_time_rejects(text: str, message: str) -> None:
    with pytest.raises(TimeFormatError, match=f"^{message}$"):
        parse_actor_due_time(text, BASE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5s", (td(seconds=5), None)),
        ("0h0m5s0ms0\u03bcs", (td(seconds=5), None)),
        ("R5/PT10S", (td(seconds=10), 5)),
        ("PT1H", (td(hours=1), None)),
        ("P0D", (td(0), None)),
    ],
)
def test_parse_reminder_period(text: str, expected: tuple[timedelta, int | None]) -> None:
    assert parse_reminder_period(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P1D", "unsupported period format: P1D"),
        ("P1W", "unsupported period format: P1W"),
        ("R3/P1M", "unsupported period format: R3/P1M"),
        ("P1Y", "unsupported period format: P1Y"),
        ("often", "unsupported period format: often"),
        ("R0/PT5S", "has zero repetitions"),
    ],
)
def test_parse_reminder_period_rejects(text: str, message: str) -> None:
    with pytest.raises(TimeFormatError, match=f"^{message}$"):
        parse_reminder_period(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5s", (td(seconds=5), None)),
        ("R5/PT10S", (td(seconds=10), 5)),
        ("P1D", (IsoDuration(days=1), None)),
        ("R2/P1MT1H", (IsoDuration(months=1, clock=td(hours=1)), 2)),
    ],
)
def test_parse_timer_period(text: str, expected: tuple[Any, int | None]) -> None:
    assert parse_timer_period(text) == expected


@pytest.mark.parametrize(("text", "message"), [("R0/P1D", "has zero"), ("x", "unsupported")])
def test_parse_timer_period_rejects(text: str, message: str) -> None:
    with pytest.raises(TimeFormatError, match=message):
        parse_timer_period(text)


# --- properties --------------------------------------------------------------------------------

_ALPHABET = st.sampled_from(list("0123456789.+-PRTYMWDHSZ:/,nsuµμmh x\u0661"))
_TEXT = st.one_of(st.text(), st.text(_ALPHABET, max_size=40))


def _parsers() -> list[Callable[[str], object]]:
    return [
        parse_go_duration,
        parse_iso_duration,
        parse_rfc3339,
        parse_proto_duration,
        parse_reminder_period,
        parse_timer_period,
        lambda s: parse_point_in_time(s, BASE),
        lambda s: parse_point_in_time(s, BASE, field="ttl"),
        lambda s: parse_actor_due_time(s, BASE),
        lambda s: parse_point_in_time(s, datetime(9999, 12, 31, tzinfo=UTC)),
    ]


@given(_TEXT)
def test_parsers_raise_only_time_format_error(text: str) -> None:
    for parse in _parsers():
        with contextlib.suppress(TimeFormatError):
            parse(text)


@given(st.from_regex(r"\A[+-]?([0-9]{1,4}(\.[0-9]{0,12})?(h|m|s|ms|us|ns)){1,4}\Z"))
def test_go_duration_like_text_parses_or_raises_cleanly(text: str) -> None:
    with contextlib.suppress(TimeFormatError):
        parse_go_duration(text)


_GO_RANGE = td(microseconds=(1 << 63) // 1000 - 1)


@given(st.timedeltas(min_value=-_GO_RANGE, max_value=_GO_RANGE))
def test_go_duration_round_trip(delta: timedelta) -> None:
    assert parse_go_duration(format_go_duration(delta)) == delta


@given(st.timedeltas(min_value=td(seconds=-315576000000), max_value=td(seconds=315576000000)))
def test_proto_duration_round_trip(delta: timedelta) -> None:
    assert parse_proto_duration(format_proto_duration(delta)) == delta


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
)
def test_rfc3339_round_trip(when: datetime) -> None:
    assert parse_rfc3339(format_rfc3339(when)) == when
