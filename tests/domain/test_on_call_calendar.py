"""Shifts read from the shared on-call calendar: who an event names, the phone, all-day and past-midnight shifts on
both DST days (America/New_York), and which of overlapping shifts answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.config import Profile
from receptionist.domain.on_call import (
    OnCall,
    calendar_key_parts,
    covering,
    next_shift,
    parse_shift_hours,
    person_of_title,
    phone_in,
    roster_shifts,
    shift_of_event,
    Shift,
)
from receptionist.domain.ports import RemoteEvent
from receptionist.errors import UserError

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
PHONES = {"Dr. Ben Cole": "+12125550122"}


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def event(title, start, end, description="", all_day=False) -> RemoteEvent:
    return RemoteEvent("r1", '"1"', title, start, end, description=description, all_day=all_day)


def read(ev):
    return shift_of_event(ev, lambda name: PHONES.get(name, ""), NY)


@pytest.mark.parametrize("title", ["On call: Dr. Bo Chen", "On-call - Dr. Bo Chen", "ON CALL Dr. Bo Chen",
                                   "  Dr.  Bo Chen ", "On call – Dr. Bo Chen"])
def test_the_title_names_the_person(title):
    assert person_of_title(title) == "Dr. Bo Chen"


def test_a_title_that_is_only_on_call_names_nobody():
    shift, problem = read(event("On call", ny(2026, 12, 7, 18), ny(2026, 12, 8, 8)))
    assert shift is None and problem == ("the on-call event of 12/7 ('On call') names nobody: title it with the "
                                         "person, e.g. 'On call: Dr. Bo Chen'")


def test_the_phone_is_the_first_number_in_the_description_else_the_people_list():
    assert phone_in("Cell (212) 555-0111, pager 212-555-0199") == "+12125550111"
    assert phone_in("no number here") == ""
    shift, problem = read(event("On call: Dr. Ana Ruiz", ny(2026, 12, 7, 18), ny(2026, 12, 8, 8),
                                "Reach me at 212.555.0111"))
    assert problem is None and (shift.person, shift.phone) == ("Dr. Ana Ruiz", "+12125550111")
    shift, problem = read(event("Dr. Ben Cole", ny(2026, 12, 7, 18), ny(2026, 12, 8, 8)))
    assert problem is None and shift.phone == "+12125550122"


def test_a_person_without_a_phone_is_still_on_call_and_the_problem_is_said():
    shift, problem = read(event("On call: Dr. Cy Park", ny(2026, 12, 9, 18), ny(2026, 12, 10, 8)))
    assert (shift.person, shift.phone) == ("Dr. Cy Park", "")
    assert problem == ("Dr. Cy Park (on call 12/9) has no phone: write it in the event's description, or give "
                       "Dr. Cy Park a phone in [people]")


def test_a_night_shift_past_midnight_covers_the_next_morning_and_not_after():
    night, _ = read(event("Dr. Ben Cole", ny(2026, 12, 7, 18), ny(2026, 12, 8, 8)))
    assert covering([night], ny(2026, 12, 8, 0, 30)) == night
    assert covering([night], ny(2026, 12, 8, 7, 59)) == night
    assert covering([night], ny(2026, 12, 8, 8)) is None
    assert covering([night], ny(2026, 12, 7, 17, 59)) is None


@pytest.mark.parametrize("day, hours", [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25), (date(2026, 12, 6), 24)])
def test_an_all_day_shift_is_the_local_day_midnight_to_midnight_on_both_dst_days(day, hours):
    # Google gives an all-day event as midnight in the calendar's zone; CalDAV and Graph may give UTC midnight
    for start, end in ((datetime(day.year, day.month, day.day, tzinfo=NY), None),
                       (datetime(day.year, day.month, day.day, tzinfo=UTC), None)):
        end = start + timedelta(days=1)
        shift, problem = read(event("Dr. Ben Cole", start.astimezone(UTC), end.astimezone(UTC), all_day=True))
        assert problem is None
        assert shift.start == ny(day.year, day.month, day.day, 0)
        assert shift.end - shift.start == timedelta(hours=hours)
        assert shift.end.astimezone(NY).date() == day + timedelta(days=1)


def test_a_timed_night_shift_across_each_dst_change_keeps_its_instants():
    spring, _ = read(event("Dr. Ben Cole", ny(2026, 3, 7, 18), ny(2026, 3, 8, 8)))
    assert spring.end - spring.start == timedelta(hours=13)
    assert covering([spring], ny(2026, 3, 8, 3, 30)) == spring  # 3:30 EDT, just after the skipped hour
    autumn, _ = read(event("Dr. Ben Cole", ny(2026, 10, 31, 18), ny(2026, 11, 1, 8)))
    assert autumn.end - autumn.start == timedelta(hours=15)
    repeated = datetime(2026, 11, 1, 1, 30, tzinfo=NY, fold=1).astimezone(UTC)  # the second 1:30 AM (EST)
    assert covering([autumn], repeated) == autumn and covering([autumn], ny(2026, 11, 1, 8)) is None


def test_a_cover_put_over_a_standing_shift_answers_while_it_lasts():
    week = OnCall("Dr. Ana Ruiz", "+1", ny(2026, 12, 7, 0), ny(2026, 12, 14, 0))
    cover = OnCall("Dr. Cy Park", "+2", ny(2026, 12, 9, 18), ny(2026, 12, 10, 8))
    assert covering([week, cover], ny(2026, 12, 9, 22)) == cover
    assert covering([cover, week], ny(2026, 12, 10, 8)) == week
    same_start = OnCall("Dr. Bo Chen", "+3", ny(2026, 12, 7, 0), ny(2026, 12, 7, 8))
    assert covering([week, same_start], ny(2026, 12, 7, 1)) == same_start  # the shorter on a tie


def test_next_shift_is_the_soonest_to_start():
    a = OnCall("A", "+1", ny(2026, 12, 8, 18), ny(2026, 12, 9, 8))
    b = OnCall("B", "+2", ny(2026, 12, 9, 18), ny(2026, 12, 10, 8))
    assert next_shift([b, a], ny(2026, 12, 8, 10)) == a
    assert next_shift([b, a], ny(2026, 12, 8, 18)) == b  # a has begun
    assert next_shift([a], ny(2026, 12, 9, 9)) is None


_instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                         timezones=st.just(UTC))
_shifts = st.lists(st.tuples(_instants, st.integers(min_value=1, max_value=72 * 60)), max_size=8).map(
    lambda pairs: [OnCall(f"P{n}", "+1", s, s + timedelta(minutes=m)) for n, (s, m) in enumerate(pairs)])


@given(_shifts, _instants)
def test_covering_answers_a_covering_shift_and_none_started_later(shifts, instant):
    found = covering(shifts, instant)
    around = [s for s in shifts if s.start <= instant < s.end]
    if found is None:
        assert not around
    else:
        assert found.start <= instant < found.end
        assert all(s.start <= found.start for s in around)


def test_the_roster_drawn_over_a_window_includes_the_night_that_began_the_day_before():
    nights = Shift("Dr. Ana Ruiz", "+1", *parse_shift_hours("18:00-08:00"))
    drawn = roster_shifts((nights,), ny(2026, 12, 8, 0), ny(2026, 12, 9, 0), NY)
    assert [(c.start, c.end) for c in drawn] == [(ny(2026, 12, 7, 18), ny(2026, 12, 8, 8)),
                                                 (ny(2026, 12, 8, 18), ny(2026, 12, 9, 8))]


@pytest.mark.parametrize("key, error", [
    ("oncall@example.com", "is not an on-call calendar: write 'google:<calendar id>'"),
    ("icloud:rota", "is not an on-call calendar"),
    ("google:", "is not an on-call calendar")])
def test_an_on_call_calendar_key_that_is_not_one_is_refused(key, error):
    with pytest.raises(ValueError, match=error):
        calendar_key_parts(key)
    with pytest.raises(UserError, match=error):
        Profile.from_dict({"availability": {"on_call_calendar": key}})


def test_the_on_call_calendar_must_be_on_a_switched_on_account_and_read_more_often_than_it_goes_stale():
    with pytest.raises(UserError, match="is on outlook, which is not switched on: set outlook.enabled = true"):
        Profile.from_dict({"availability": {"on_call_calendar": "outlook:AAMkRota"}})
    with pytest.raises(UserError, match=r"on_call_refresh_minutes \(30\) must be less than .*stale_after_minutes "
                                        r"\(30\)"):
        Profile.from_dict({"google": {"enabled": True},
                           "availability": {"on_call_calendar": "google:rota@group.calendar.google.com",
                                            "on_call_refresh_minutes": 30}})
    ok = Profile.from_dict({"google": {"enabled": True}, "people": {"members": [
        {"name": "Dr. Ben Cole", "phone": "+12125550122"}]},
        "availability": {"on_call_calendar": " google:rota@group.calendar.google.com "}})
    assert ok.availability.on_call_calendar == "google:rota@group.calendar.google.com"
    assert ok.on_call_phone("dr. ben cole") == "+12125550122" and ok.on_call_phone("Dr. Nobody") == ""
