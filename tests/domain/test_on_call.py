"""The on-call roster: shifts in wall-clock time, past midnight, across DST, the first entry answering."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.config import Profile
from receptionist.domain.on_call import Shift, next_on_call, on_call_at, parse_shift_hours, weekday_numbers

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


def shift(person, hours, days=(), first=None, last=None, phone="+13125550100"):
    return Shift(person, phone, *parse_shift_hours(hours), weekday_numbers(list(days)), first, last)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


NIGHTS = shift("Dr. Ana Ruiz", "18:00-08:00", ["mon", "tue", "wed", "thu", "fri"])
WEEKEND = shift("Dr. Ben Cole", "00:00-24:00", ["sat", "sun"])
SUNDAY_NIGHT = shift("Dr. Ben Cole", "18:00-08:00", ["sun"])  # into Monday morning


def test_a_night_shift_runs_past_midnight_and_belongs_to_the_day_it_starts():
    roster = (NIGHTS, WEEKEND)
    monday_night = on_call_at(roster, ny(2026, 12, 7, 23, 30), NY)
    assert monday_night.person == "Dr. Ana Ruiz"
    assert (monday_night.start, monday_night.end) == (ny(2026, 12, 7, 18), ny(2026, 12, 8, 8))
    assert on_call_at(roster, ny(2026, 12, 8, 7, 59), NY).person == "Dr. Ana Ruiz"  # Tuesday early
    assert on_call_at(roster, ny(2026, 12, 8, 8), NY) is None  # the desk is open
    assert on_call_at(roster, ny(2026, 12, 12, 7), NY).person == "Dr. Ana Ruiz"  # Friday's night, on Sat
    assert on_call_at(roster, ny(2026, 12, 12, 9), NY).person == "Dr. Ben Cole"


def test_the_first_entry_covering_a_time_answers_so_a_cover_goes_first():
    cover = shift("Dr. Cy Park", "18:00-08:00", first=date(2026, 12, 9), last=date(2026, 12, 9))
    roster = (cover, NIGHTS)
    assert on_call_at(roster, ny(2026, 12, 9, 22), NY).person == "Dr. Cy Park"
    assert on_call_at(roster, ny(2026, 12, 10, 22), NY).person == "Dr. Ana Ruiz"
    assert on_call_at(roster, ny(2026, 12, 8, 22), NY).person == "Dr. Ana Ruiz"


def test_dst_nights_are_an_hour_short_in_spring_and_long_in_autumn():
    every_night = (shift("Dr. Ana Ruiz", "18:00-08:00"),)
    spring = on_call_at(every_night, ny(2026, 3, 7, 23), NY)  # clocks go forward early on Sunday 3/8
    assert spring.end - spring.start == timedelta(hours=13) and spring.end == ny(2026, 3, 8, 8)
    autumn = on_call_at(every_night, ny(2026, 10, 31, 23), NY)  # and back early on Sunday 11/1
    assert autumn.end - autumn.start == timedelta(hours=15) and autumn.end == ny(2026, 11, 1, 8)


def test_next_on_call_is_the_soonest_shift_to_start():
    roster = (NIGHTS, WEEKEND)
    upcoming = next_on_call(roster, ny(2026, 12, 8, 10), NY)
    assert (upcoming.person, upcoming.start) == ("Dr. Ana Ruiz", ny(2026, 12, 8, 18))
    assert next_on_call((shift("X", "09:00-10:00", first=date(2020, 1, 1), last=date(2020, 1, 1)),),
                        ny(2026, 12, 8, 10), NY) is None


@settings(max_examples=200)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)))
def test_a_weeknight_and_weekend_rota_covers_every_closed_hour_and_no_open_one(instant):
    answer = on_call_at((NIGHTS, WEEKEND, SUNDAY_NIGHT), instant, NY)
    wall = instant.astimezone(NY)
    open_hours = wall.weekday() < 5 and 8 <= wall.hour < 18
    assert (answer is None) == open_hours
    if answer is not None:
        assert answer.start <= instant < answer.end


@pytest.mark.parametrize("hours, problem", [("18:00", "not a shift"), ("09:00-09:00", "last some time"),
                                            ("25:00-08:00", "not a shift")])
def test_a_bad_shift_is_refused_in_words(hours, problem):
    with pytest.raises(ValueError, match=problem):
        parse_shift_hours(hours)


def test_the_profile_roster_takes_phones_from_people_and_names_a_missing_one():
    profile = Profile.from_dict({
        "people": {"members": [{"name": "Dr. Ana Ruiz", "phone": "+13125550111"}]},
        "availability": {"on_call": [{"person": "dr. ana ruiz", "hours": "18:00-08:00", "days": ["mon"]},
                                     {"person": "Locum", "phone": "+13125550199"}]}})
    assert [(s.person, s.phone) for s in profile.on_call_roster()] == [("dr. ana ruiz", "+13125550111"),
                                                                       ("Locum", "+13125550199")]
    from receptionist.errors import UserError

    with pytest.raises((UserError, ValueError), match="'Nobody Known' has no phone"):
        Profile.from_dict({"availability": {"on_call": [{"person": "Nobody Known"}]}})
    with pytest.raises((UserError, ValueError), match="unknown weekday 'mondays'"):
        Profile.from_dict({"availability": {"on_call": [{"person": "X", "phone": "+13125550199",
                                                         "days": ["mondays"]}]}})
