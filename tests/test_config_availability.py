"""The profile's ``[availability]``: validated with sentences that name the option, written back as TOML that loads
again, and the old simple hours (``location.open_hour`` / ``close_hour``) still the rule when no weekly hours are
given."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from receptionist.config import Profile
from receptionist.errors import UserError
from receptionist.paths import resource


@pytest.mark.parametrize("data, said", [
    ({"availability": {"hours": {"mon": ["8-12"]}}},
     "availability.hours: Value error, '8-12' is not a time range: write it as \"08:00-12:00\""),
    ({"availability": {"hours": {"funday": []}}}, "unknown weekday 'funday': use mon, tue, wed, thu, fri, sat, sun"),
    ({"availability": {"hours": {"tue": ["08:00-12:00", "11:00-13:00"]}}}, "tue: the ranges 08:00-12:00, "
                                                                             "11:00-13:00 overlap"),
    ({"availability": {"services": [{"name": "A", "duration_minutes": 30, "resources": ["Chair 9"]}]}},
     "service 'A' needs resource 'Chair 9', which is not among [[availability.resources]] (none)"),
    ({"availability": {"services": [{"name": "A", "duration_minutes": 30}, {"name": " a ", "duration_minutes": 5}]}},
     "two services are named 'A'"),
    ({"availability": {"closures": [{"date": "2026-12-25", "until": "2026-12-20"}]}},
     "closure 'Holiday' ends (2026-12-20) before it starts (2026-12-25)"),
    ({"availability": {"resources": [{"name": "Dr. Lee", "calendar": "lee@example.com"}]}},
     "'lee@example.com' is not a calendar key"),
    ({"location": {"open_hour": 18, "close_hour": 9}}, "location.close_hour (9) must be after location.open_hour (18)"),
])
def test_bad_rules_are_one_sentence_naming_the_option(data, said):
    with pytest.raises(UserError) as caught:
        Profile.from_dict(data)
    assert said in str(caught.value)


def test_the_example_profile_round_trips_through_toml():
    profile = Profile.load(resource("profiles", "example.toml"))
    rules = profile.availability.booking_rules(profile.location)
    assert [s.name for s in rules.services] == ["Cleaning", "Consultation"]
    assert rules.service("consultation").buffer_before == 5 and rules.service("cleaning").buffer_after == 10
    assert rules.resource("dr. lee").calendar == "google:dr.lee@lakeview-dental.example"
    assert rules.closure_on(date(2027, 1, 1)).name == "New Year"
    assert Profile.from_dict(tomllib.loads(profile.to_toml())) == profile


def test_without_weekly_hours_the_simple_form_is_the_rule():
    profile = Profile.from_dict({"location": {"open_hour": 7, "close_hour": 15}})
    hours = profile.availability.booking_rules(profile.location).hours
    assert hours.days[0] == ((420, 900),) and hours.days[5] == ((420, 900),) and hours.days[6] == ()
    partial = Profile.from_dict({"location": {"open_hour": 7, "close_hour": 15},
                                 "availability": {"hours": {"sat": [], "mon": ["09:00-12:00", "13:00-17:00"]}}})
    days = partial.availability.booking_rules(partial.location).hours.days
    assert days[0] == ((540, 720), (780, 1020)) and days[1] == ((420, 900),) and days[5] == ()
