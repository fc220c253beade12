"""A time taken on Google a moment before approval (after the desk's last pull) is refused at approval: the
calendars are read again for that window just before the booking is written."""

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from receptionist.errors import UserError
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.helpers.payloads import payload, signed

pytestmark = pytest.mark.e2e
CHICAGO = ZoneInfo("America/Chicago")


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_slot_taken_on_google_since_the_last_pull_is_refused_at_approval(e2e_app, stack):
    app = e2e_app
    day = datetime.now(CHICAGO).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    local_start = datetime(day.year, day.month, day.day, 15, 0)
    raw, headers = signed(payload(call_id="taken-1", requested_start=local_start.isoformat(), duration_minutes=30,
                                  timestamp=datetime.now(timezone.utc).isoformat()), app.webhook_secret)
    assert requests.post(app.receiver.url, data=raw, headers=headers, timeout=5).status_code == 202
    call = wait_for(lambda: next(iter(app.desk.bookings.calls()), None))
    proposal = call.proposal
    assert app.sync_engine.run_cycle().ok  # the desk's copy of the calendars is fresh now
    assert not [i for i in app.desk.bookings.review(call.id).issues if "overlaps" in i.message]

    start = local_start.replace(tzinfo=CHICAGO)
    stack.google.seed_event(GOOGLE_ACCOUNT, "primary", {
        "summary": "Dr. Lee out", "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()}})
    with pytest.raises(UserError, match="cannot approve: Dr. Lee out was just put on Google Calendar at this time"):
        app.desk.bookings.approve(proposal.id, proposal.version)
    assert app.store.appointments.between() == []

    assert app.sync_engine.run_cycle().ok  # pulled: now the desk shows it as a clash when the proposal is opened
    review = app.desk.bookings.review(call.id)
    assert [i.message for i in review.issues if "overlaps" in i.message][0].startswith("overlaps Dr. Lee out (Google")
