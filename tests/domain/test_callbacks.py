"""The callback desk's rules: which calls need a person, by when (open time only, across closed evenings, Sundays
and both DST changes), and the AI summary the owner reads first."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.domain.callbacks import CallbackReason, ai_summary, ai_told, callback_due, callback_need
from receptionist.domain.models import FieldIssue, Intent, Severity
from receptionist.domain.payload import LocationRules
from receptionist.domain.schedule import BookingRules, Closure, WeeklyHours

CHI = ZoneInfo("America/Chicago")
RULES = LocationRules(zone=CHI)  # Mon–Sat, 8 AM–6 PM


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHI)


MISSING_TIME = FieldIssue("requested_start", Severity.ERROR, "no time was captured")


@pytest.mark.parametrize("intent, codes, issues, reason", [
    (Intent.URGENT, (), (), CallbackReason.URGENT),
    (Intent.BOOK, ("needs_human",), (), CallbackReason.FLAGGED),
    (Intent.BOOK, ("escalated",), (), CallbackReason.FLAGGED),
    (Intent.CALLBACK, (), (), CallbackReason.CALLBACK),
    (Intent.QUESTION, (), (), CallbackReason.QUESTION),
    (Intent.BOOK, ("new_booking",), (MISSING_TIME,), CallbackReason.NO_BOOKING),
])
def test_calls_that_need_a_person(intent, codes, issues, reason):
    need = callback_need(intent, codes, issues)
    assert need is not None and need.reason is reason
    assert need.urgent is (reason is CallbackReason.URGENT)


@pytest.mark.parametrize("intent, issues", [
    (Intent.BOOK, ()),  # a booking the desk can approve
    (Intent.BOOK, (FieldIssue("service", Severity.WARNING, "unknown service"),)),  # a warning is not a stop
    (Intent.CANCEL, ()),  # the desk cancels; nobody needs to call
    (Intent.RESCHEDULE, ()),
])
def test_calls_that_do_not(intent, issues):
    assert callback_need(intent, ("new_booking",), issues) is None


@pytest.mark.parametrize("received, urgent, due", [
    (local(2026, 11, 23, 9, 0), False, local(2026, 11, 23, 11, 0)),  # Monday morning: two open hours
    (local(2026, 11, 23, 9, 0), True, local(2026, 11, 23, 9, 30)),  # urgent: thirty open minutes
    (local(2026, 11, 27, 17, 30), False, local(2026, 11, 28, 9, 30)),  # Friday 5:30 PM: 30 min + Sat 8–9:30
    (local(2026, 11, 27, 21, 0), True, local(2026, 11, 28, 8, 30)),  # Friday night, urgent: Saturday opening
    (local(2026, 11, 28, 17, 0), False, local(2026, 11, 30, 9, 0)),  # Saturday 5 PM: 1 h, Sunday closed, Monday
    (local(2026, 11, 29, 12, 0), False, local(2026, 11, 30, 10, 0)),  # Sunday: Monday 10 AM
    (local(2026, 11, 23, 6, 0), False, local(2026, 11, 23, 10, 0)),  # before opening
])
def test_due_time_counts_open_time_only(received, urgent, due):
    assert callback_due(received.astimezone(timezone.utc), urgent, RULES) == due.astimezone(timezone.utc)


@pytest.mark.parametrize("received, due", [
    # Saturday evening before the fall-back Sunday (11/1/2026): due Monday 10 AM CST
    (local(2026, 10, 31, 19, 0), datetime(2026, 11, 2, 16, 0, tzinfo=timezone.utc)),
    # Saturday evening before the spring-forward Sunday (3/8/2026): due Monday 10 AM CDT
    (local(2026, 3, 7, 19, 0), datetime(2026, 3, 9, 15, 0, tzinfo=timezone.utc)),
])
def test_due_time_across_both_dst_changes(received, due):
    assert callback_due(received.astimezone(timezone.utc), False, RULES) == due


def test_a_location_open_around_the_clock():
    rules = LocationRules(zone=CHI, booking=BookingRules(CHI, WeeklyHours.simple(0, 24, range(7))))
    at = local(2026, 11, 29, 23, 0).astimezone(timezone.utc)
    assert callback_due(at, False, rules) == at + timedelta(hours=2)


def test_a_lunch_break_and_a_holiday_are_not_open_time():
    """Two ranges a day (8–12, 13–17) and a closure: the open time is counted across the break and the closed day."""
    hours = WeeklyHours.of({d: ["08:00-12:00", "13:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
    closed = (Closure(local(2026, 12, 24, 0).date(), local(2026, 12, 25, 0).date(), "Christmas"),)
    rules = LocationRules(zone=CHI, booking=BookingRules(CHI, hours, closed))
    assert callback_due(local(2026, 12, 21, 11, 0), False, rules) == local(2026, 12, 21, 14, 0).astimezone(timezone.utc)
    # Wednesday 12/23 4 PM: one open hour that day, the next on Monday 12/28 (24th–25th closed, then the weekend)
    assert callback_due(local(2026, 12, 23, 16, 0), False, rules) == local(2026, 12, 28, 9, 0).astimezone(timezone.utc)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)), st.booleans())
def test_a_callback_is_due_in_open_hours_after_the_call(naive, urgent):
    received = naive.replace(tzinfo=timezone.utc)
    due = callback_due(received, urgent, RULES)
    assert due > received
    shown = due.astimezone(CHI)
    assert shown.weekday() < 6  # Monday to Saturday
    assert time(8) < shown.time() <= time(18)  # strictly inside: 8:00:00.000001 is open time


def test_the_summary_says_who_what_and_what_the_ai_said():
    s = ai_summary("Maria Lopez", "+13125550142", Intent.QUESTION, None, None, "Asked whether you take Delta.",
                   None, ai_told([("agent", "Hi!"), ("caller", "Do you take Delta?"),
                                  ("agent", "I'll have the office call you back about insurance."),
                                  ("caller", "Thanks")]))
    assert s.who == "Maria Lopez · +13125550142"
    assert s.wants == "Question — Asked whether you take Delta."
    assert s.told == "I'll have the office call you back about insurance."
    assert ai_summary(None, None, Intent.URGENT, "Crown", None, None, None, ai_told([])).who == "Unknown caller"
    assert ai_summary(None, None, Intent.URGENT, None, None, None, None, "").told == \
        "(no words of the AI were captured)"
