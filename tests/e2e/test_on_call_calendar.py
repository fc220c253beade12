"""The on-call rota on a shared Google calendar, end to end through the real client library against the Google
stand-in: a nightly recurring shift (expanded by Google, across the autumn DST change), a one-off cover over it, and
an all-day weekend shift are put on the calendar; the leader's refresh reads them; the AI agent's
``who_is_on_call`` on the receiver (Vapi and Retell) names the right person and phone."""


import pytest

from receptionist.config import Profile
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.helpers.on_call import (
    assert_a_refused_read_keeps_the_last_rota,
    assert_the_rota_answers,
    started_app,
)

pytestmark = pytest.mark.e2e
ROTA = "on-call-rota@group.calendar.google.com"


@pytest.fixture
def app(stack, db_url):
    stack.google.faults.clear()
    stack.google.add_calendar(GOOGLE_ACCOUNT, ROTA, "On-call rota", "America/New_York")
    # every night from Monday 10/26 at 6 PM to 8 AM, Dr. Ana Ruiz (phone in the description); Google expands it
    stack.google.seed_event(GOOGLE_ACCOUNT, ROTA, {
        "summary": "On call: Dr. Ana Ruiz", "description": "Cell: (212) 555-0111",
        "start": {"dateTime": "2026-10-26T18:00:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-10-27T08:00:00", "timeZone": "America/New_York"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=21"]})
    # a cover over Thursday evening, and Sunday 11/8 all day: Dr. Ben Cole (his phone is in [people])
    stack.google.seed_event(GOOGLE_ACCOUNT, ROTA, {
        "summary": "On-call - Dr. Ben Cole",
        "start": {"dateTime": "2026-10-29T20:00:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-10-29T23:00:00", "timeZone": "America/New_York"}})
    stack.google.seed_event(GOOGLE_ACCOUNT, ROTA, {
        "summary": "Dr. Ben Cole", "start": {"date": "2026-11-08"}, "end": {"date": "2026-11-09"}})
    base = Profile.from_dict({
        "location": {"time_zone": "America/New_York"}, "google": {"enabled": True},
        "people": {"members": [{"name": "Dr. Ben Cole", "phone": "+12125550122"}]},
        "availability": {"on_call_calendar": f"google:{ROTA}"}})
    profile = stack.profile(base, ingest_port=0)
    app = started_app(stack, db_url, profile, "on-call-calendar")
    yield app
    app.stop()


def test_the_rota_on_a_shared_google_calendar_answers_who_is_on_call(app):
    assert_the_rota_answers(app)


def test_a_refused_read_is_recorded_and_the_last_good_rota_still_answers(app, stack):
    def refuse():
        stack.google.revoke_refresh_token(stack.google.refresh_tokens(GOOGLE_ACCOUNT)[-1])
        stack.google.expire_access_tokens()

    assert_a_refused_read_keeps_the_last_rota(app, refuse)
