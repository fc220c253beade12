"""Reminders, pure: when (N hours before, out of quiet hours, DST-safe), the words, and what a reply means."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.domain.reminders import Reply, hours_for, read_reply, reminder_at, reminder_text

CHI = ZoneInfo("America/Chicago")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHI)


@pytest.mark.parametrize("start, hours, sent", [
    (local(2026, 11, 24, 10, 30), 24, local(2026, 11, 23, 10, 30)),  # a day before, in the day: as is
    (local(2026, 11, 24, 7, 0), 24, local(2026, 11, 23, 8, 0)),  # 7 AM the day before is quiet: at 8
    (local(2026, 11, 24, 22, 0), 24, local(2026, 11, 24, 8, 0)),  # 10 PM the day before: the next morning
    (local(2026, 11, 24, 8, 30), 2, local(2026, 11, 23, 20, 30)),  # 6:30 AM, too late at 8: the evening before
    (local(2026, 11, 2, 10, 0), 24, local(2026, 11, 1, 10, 0)),  # across the fall-back night: wall-clock 10 AM
])
def test_when_a_reminder_goes_out(start, hours, sent):
    assert reminder_at(start.astimezone(timezone.utc), hours, CHI) == sent.astimezone(timezone.utc)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)), st.integers(1, 72))
def test_a_reminder_is_never_in_quiet_hours_and_always_before(naive, hours):
    start = naive.replace(tzinfo=timezone.utc)
    at = reminder_at(start, hours, CHI)
    if at is not None:
        assert at <= start - timedelta(hours=1)
        assert 8 <= at.astimezone(CHI).hour < 21


@pytest.mark.parametrize("body, reply", [
    ("C", Reply.CONFIRM), (" c ", Reply.CONFIRM), ("Confirm", Reply.CONFIRM), ("R", Reply.RESCHEDULE),
    ("STOP", Reply.STOP), ("stop.", Reply.STOP), ("Unsubscribe", Reply.STOP), ("START", Reply.START),
    ("unstop", Reply.START), ("Can I come at 3?", Reply.OTHER), ("", Reply.OTHER),
])
def test_what_a_reply_means(body, reply):
    assert read_reply(body) is reply


def test_lead_time_per_service_and_the_words():
    assert hours_for("crown", 24, "Crown: 48, Cleaning: 12") == 48
    assert hours_for("Whitening", 24, "Crown: 48") == 24
    assert hours_for(None, 24, "Crown: 48") == 24
    assert reminder_text("Hi {caller}, {service} at {location} on {when}.", caller=None, service="Cleaning",
                         when="Tue 11/24 10:30 AM", location="Demo") == "Hi there, Cleaning at Demo on Tue 11/24 10:30 AM."
