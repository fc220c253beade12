"""Free text as callers say it: times read against the call's start in the location's zone, DST on both sides."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.domain.models import Severity
from receptionist.domain.payload import read_callback_number, read_requested_start
from receptionist.domain.spoken import read_spoken_time, spoken_digits

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY = datetime(2026, 12, 1, 10, 0)  # a Tuesday morning, local wall time


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("said, local", [
    ("next Thursday at 3", datetime(2026, 12, 3, 15, 0)),
    ("tomorrow at 9:30am", datetime(2026, 12, 2, 9, 30)),
    ("Tomorrow at 9:30 a.m.", datetime(2026, 12, 2, 9, 30)),
    ("Dec 3 at 2pm", datetime(2026, 12, 3, 14, 0)),
    ("December third at two thirty", datetime(2026, 12, 3, 14, 30)),
    ("the 3rd of December at 2 pm", datetime(2026, 12, 3, 14, 0)),
    ("12/24 at noon", datetime(2026, 12, 24, 12, 0)),
    ("2026-12-04 14:00", datetime(2026, 12, 4, 14, 0)),
    ("half past four tomorrow", datetime(2026, 12, 2, 16, 30)),
    ("quarter to 9 on Friday", datetime(2026, 12, 4, 8, 45)),
    ("I am free at 3 on Monday", datetime(2026, 12, 7, 15, 0)),  # "am" the verb is not a.m.
    ("this afternoon at 4", datetime(2026, 12, 1, 16, 0)),
    ("in 3 days at ten oh five", datetime(2026, 12, 4, 10, 5)),
    ("Tuesday at 9 in the morning", datetime(2026, 12, 8, 9, 0)),  # said on a Tuesday: next week's
    ("Jan 5 at 11am", datetime(2027, 1, 5, 11, 0)),  # already past this year: next year's
    ("the 15th at 10", datetime(2026, 12, 15, 10, 0)),
    ("at 3", datetime(2026, 12, 1, 15, 0)),  # no day: today, still ahead
    ("9am", datetime(2026, 12, 2, 9, 0)),  # no day, already past today: tomorrow
])
def test_spoken_times(said, local):
    assert read_spoken_time(said, TUESDAY).local == local


def test_guesses_are_reported_beside_the_value():
    spoken = read_spoken_time("next Thursday at 3", TUESDAY)
    assert any("12/10" in n for n in spoken.notes)  # "next Thursday" may mean the week after
    assert any("3:00 PM" in n for n in spoken.notes)  # no AM/PM said
    assert read_spoken_time("Dec 3 at 2pm", TUESDAY).notes == ()


@pytest.mark.parametrize("said, fragment", [
    ("sometime soon", "could not read"),
    ("Thursday", "no time of day"),
    ("Nov 31 at 3", "not a date"),
    ("at 25:00", "not a time"),
    ("", "nothing"),
])
def test_what_cannot_be_resolved_says_why(said, fragment):
    spoken = read_spoken_time(said, TUESDAY)
    assert spoken.local is None and fragment in spoken.error


# --- DST, both sides, through read_requested_start (zone + the call's instant) -------------------------------------


@pytest.mark.parametrize("call_at, said, expected, severity", [
    # Saturday 03/07/2026, the day before Chicago springs forward (CST -6 → CDT -5)
    (utc(2026, 3, 7, 16, 0), "today at 11am", utc(2026, 3, 7, 17, 0), None),
    (utc(2026, 3, 7, 16, 0), "tomorrow at 11am", utc(2026, 3, 8, 16, 0), None),
    (utc(2026, 3, 7, 16, 0), "tomorrow at 2:30am", None, Severity.ERROR),  # does not exist
    # the call itself placed at 01:30 CST on the switch night; "at 3" is 3 PM CDT the same day
    (utc(2026, 3, 8, 7, 30), "at 3", utc(2026, 3, 8, 20, 0), Severity.WARNING),
    # Saturday 10/31/2026, the day before it falls back (CDT -5 → CST -6)
    (utc(2026, 10, 31, 15, 0), "today at 4pm", utc(2026, 10, 31, 21, 0), None),
    (utc(2026, 10, 31, 15, 0), "tomorrow at 10am", utc(2026, 11, 1, 16, 0), None),
    (utc(2026, 10, 31, 15, 0), "tomorrow at 1:30am", utc(2026, 11, 1, 6, 30), Severity.WARNING),  # twice: first
    (utc(2026, 10, 30, 15, 0), "next Monday at 9am", utc(2026, 11, 2, 15, 0), None),  # Friday → Monday, CST
])
def test_spoken_times_either_side_of_dst(call_at, said, expected, severity):
    start, issues = read_requested_start(said, CHICAGO, call_at)
    if expected is None:
        assert any(i.severity is Severity.ERROR and "does not exist" in i.message for i in issues)
    else:
        assert start == expected
    severities = {i.severity for i in issues}
    if severity is None:
        assert issues == []
    elif severity is Severity.WARNING:
        assert severities == {Severity.WARNING}
    else:
        assert Severity.ERROR in severities


@pytest.mark.parametrize("zone, expected", [
    ("America/New_York", utc(2026, 12, 3, 19, 0)),
    ("Europe/London", utc(2026, 12, 3, 14, 0)),
    ("Australia/Lord_Howe", utc(2026, 12, 3, 3, 0)),  # +11 in summer
    ("UTC", utc(2026, 12, 3, 14, 0)),
])
def test_the_same_words_in_other_zones(zone, expected):
    start, issues = read_requested_start("Dec 3 at 2pm", ZoneInfo(zone), utc(2026, 12, 1, 0, 30))
    assert start == expected and issues == []


def test_iso_with_an_offset_is_taken_as_given_and_out_of_range_years_are_flagged():
    assert read_requested_start("2026-12-03T14:00:00-05:00", CHICAGO, utc(2026, 12, 1))[0] == utc(2026, 12, 3, 19)
    start, issues = read_requested_start("9999-12-31T23:59:59", CHICAGO, utc(2026, 12, 1))
    assert start is None and issues[0].severity is Severity.ERROR


@settings(max_examples=300)
@given(st.text(max_size=80), st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_any_text_resolves_or_says_why(said, reference):
    spoken = read_spoken_time(said, reference)
    assert (spoken.local is None) == (spoken.error is not None)


# --- spoken digits → phone numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("said, digits", [
    ("five five five, one two three, four five six seven", "5551234567"),
    ("three one two, five five five, oh one four two", "3125550142"),
    ("double five", "55"),
    ("triple seven", "777"),
    ("plus one three one two five five five oh one four two", "+13125550142"),
    ("eight hundred five five five one two one two", "8005551212"),
    ("my number is nine one two, five fifty five, oh one four two", "9125550142"),
    ("312 555 0142", "3125550142"),
    ("no digits here", None),
])
def test_spoken_digits(said, digits):
    assert spoken_digits(said) == digits


def test_callback_number_from_speech_then_the_caller_id():
    assert read_callback_number("three one two, five five five, oh one four two", None, "US") == ("+13125550142", [])
    number, issues = read_callback_number("five five five one two", "+13125550177", "US")
    assert number == "+13125550177"
    assert issues[0].severity is Severity.WARNING and "caller id (312) 555-0177" in issues[0].message
    number, issues = read_callback_number(None, "+13125550177", "US")
    assert number == "+13125550177" and "no callback number" in issues[0].message
    number, issues = read_callback_number("five five five one two", "anonymous", "US")
    assert number is None and issues[0].severity is Severity.ERROR and "55512" in issues[0].message


@given(st.text(max_size=60), st.one_of(st.none(), st.text(max_size=20)))
def test_callback_reading_never_raises(said, caller_id):
    number, issues = read_callback_number(said, caller_id, "US")
    assert number is not None or any(i.severity is Severity.ERROR for i in issues)
