"""A time taken on Google or Outlook a moment before approval (after the desk's last pull) is refused at approval:
the calendars' free/busy (Google ``freebusy.query``, Graph ``getSchedule``) is asked for that window just before the
booking is written, and the events are read to name what was found (or instead, where the query is refused)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from receptionist.errors import UserError
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.helpers.payloads import payload, signed
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.e2e
CHICAGO = ZoneInfo("America/Chicago")


def a_call_checked_against_fresh_calendars(app, weekdays_ahead: int, call_id="taken-1"):
    """A call for 3 PM on a weekday of its own (the stand-ins live as long as the module)."""
    day = datetime.now(CHICAGO).date() + timedelta(days=1)
    while weekdays_ahead or day.weekday() >= 5:
        weekdays_ahead -= day.weekday() < 5
        day += timedelta(days=1)
    local_start = datetime(day.year, day.month, day.day, 15, 0)
    raw, headers = signed(payload(call_id=call_id, requested_start=local_start.isoformat(), duration_minutes=30,
                                  timestamp=datetime.now(timezone.utc).isoformat()), app.webhook_secret)
    assert requests.post(app.receiver.url, data=raw, headers=headers, timeout=5).status_code == 202
    call = wait_for(lambda: next(iter(app.desk.bookings.calls()), None))
    assert app.sync_engine.run_cycle().ok  # the desk's copy of the calendars is fresh now
    assert not [i for i in app.desk.bookings.review(call.id).issues if "overlaps" in i.message]
    return call, local_start


def test_a_slot_taken_on_google_since_the_last_pull_is_refused_at_approval(e2e_app, stack):
    app = e2e_app
    call, local_start = a_call_checked_against_fresh_calendars(app, 1)
    proposal = call.proposal

    start = local_start.replace(tzinfo=CHICAGO)
    stack.google.seed_event(GOOGLE_ACCOUNT, "primary", {
        "summary": "Dr. Lee out", "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()}})
    with pytest.raises(UserError, match="cannot approve: Dr. Lee out was just put on Google Calendar at this time"):
        app.desk.bookings.approve(proposal.id, proposal.version)
    assert app.store.appointments.between() == []
    assert ("POST", "/calendar/v3/freeBusy") in stack.google.requests
    assert ("POST", "/v1.0/me/calendar/getSchedule") in stack.microsoft.requests

    assert app.sync_engine.run_cycle().ok  # pulled: now the desk shows it as a clash when the proposal is opened
    review = app.desk.bookings.review(call.id)
    assert [i.message for i in review.issues if "overlaps" in i.message][0].startswith("overlaps Dr. Lee out (Google")


def test_a_slot_taken_on_outlook_since_the_last_pull_is_refused_at_approval(e2e_app, stack):
    app = e2e_app
    call, local_start = a_call_checked_against_fresh_calendars(app, 2)
    start = local_start.replace(tzinfo=CHICAGO).astimezone(timezone.utc)
    stack.microsoft.seed_event(None, {
        "subject": "Boiler inspection", "showAs": "oof",
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}})
    with pytest.raises(UserError, match="Boiler inspection was just put on Outlook"):
        app.desk.bookings.approve(call.proposal.id, call.proposal.version)
    assert app.store.appointments.between() == []


def test_our_own_events_on_the_calendars_are_not_taken_for_new_busy_time(e2e_app, stack):
    """Free/busy answers count our own synced events too: the re-check knows them and books next to them."""
    app = e2e_app
    call, local_start = a_call_checked_against_fresh_calendars(app, 3)
    first = app.desk.bookings.approve(call.proposal.id, call.proposal.version)
    assert app.sync_engine.run_cycle().ok  # pushed to Google and Outlook, and pulled back
    moved = app.desk.appointments.reschedule(first.id, first.start + timedelta(minutes=15))
    assert moved.start == first.start + timedelta(minutes=15)  # its old place on the calendars is ours


def test_where_the_free_busy_query_is_refused_the_events_are_read_instead(e2e_app, stack):
    app = e2e_app
    call, local_start = a_call_checked_against_fresh_calendars(app, 4)
    stack.google.faults.add(Fault(status=400), path=r"/freeBusy$", times=None)
    start = local_start.replace(tzinfo=CHICAGO)
    stack.google.seed_event(GOOGLE_ACCOUNT, "primary", {
        "summary": "Team lunch", "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()}})
    with pytest.raises(UserError, match="Team lunch was just put on Google Calendar"):
        app.desk.bookings.approve(call.proposal.id, call.proposal.version)
