from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actors import (
    InvalidDurationError,
    InvalidTimeError,
    format_duration,
    format_instant,
    parse_duration,
    parse_instant,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-01T10:00:00Z", datetime(2030, 1, 1, 10, tzinfo=UTC)),
        ("2030-01-01t10:00:00z", datetime(2030, 1, 1, 10, tzinfo=UTC)),
        ("2030-01-01T12:00:00+02:00", datetime(2030, 1, 1, 10, tzinfo=UTC)),
        ("2030-01-01T05:30:00-04:30", datetime(2030, 1, 1, 10, tzinfo=UTC)),
        ("2030-01-01T10:00:00.123456789Z", datetime(2030, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_rfc3339_instants_are_stored_in_utc(text: str, expected: datetime) -> None:
    parsed = parse_instant("due_at", text)
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["2030-01-01T10:00:00", "2030-01-01", "10:00Z", "2030-13-01T10:00:00Z", "1893456000", ""],
)
def test_malformed_instants(text: str) -> None:
    with pytest.raises(InvalidTimeError, match="due_at"):
        parse_instant("due_at", text)


def test_format_instant_in_a_zone() -> None:
    moment = datetime(2030, 7, 1, 10, tzinfo=UTC)
    assert format_instant(moment) == "2030-07-01T10:00:00Z"
    assert format_instant(moment, "Europe/Rome") == "2030-07-01T12:00:00+02:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT15M", timedelta(minutes=15)),
        ("pt1h30m", timedelta(hours=1, minutes=30)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P1W", timedelta(weeks=1)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT0S", timedelta(0)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("500ms", timedelta(milliseconds=500)),
        ("1h0m0s0ms0μs", timedelta(hours=1)),
        ("0", timedelta(0)),
    ],
)
def test_durations_in_iso_and_go_form(text: str, expected: timedelta) -> None:
    assert parse_duration("remind_before", text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "P1M", "P1Y", "-15m", "-PT15M", "15", "15 m", "1d", "m15", "P400D"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidDurationError, match="remind_before"):
        parse_duration("remind_before", text)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(minutes=15), "PT15M"),
        (timedelta(days=1, hours=2), "P1DT2H"),
        (timedelta(seconds=1.5), "PT1.5S"),
        (timedelta(0), "PT0S"),
    ],
)
def test_format_duration_round_trips(duration: timedelta, text: str) -> None:
    assert format_duration(duration) == text
    assert parse_duration("d", text) == duration
