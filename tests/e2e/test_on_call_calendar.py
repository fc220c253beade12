"""The on-call rota on a shared Google calendar, end to end through the real client library against the Google
stand-in: a nightly recurring shift (expanded by Google, across the autumn DST change), a one-off cover over it, and
an all-day weekend shift are put on the calendar; the leader's refresh reads them; the AI agent's
``who_is_on_call`` on the receiver (Vapi and Retell) names the right person and phone."""

from datetime import timedelta

import pytest

from receptionist.config import Profile
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.helpers.on_call import NY, ask, ny, started_app, wall

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
    status, before = ask(app, "vapi")
    assert status == 200 and not before["ok"] and before["reason"] == "on-call calendar not read"

    read = app.desk.on_call.refresh()  # what the sync leader runs every availability.on_call_refresh_minutes
    assert read.error is None and read.problems == ()
    assert read.shifts == 21 - 3 + 1 + 1  # the nights from two days back, the cover, Sunday 11/8

    status, now = ask(app, "vapi")
    assert status == 200 and now["ok"], now
    # the night the clocks go back: the series' instance keeps its exact 14 hours (RFC 5545, as Google's expansion
    # gives it), so it ends at 7:00 AM EST; the desk takes the instants the calendar gives
    assert now["on_call"]["now"] == {"person": "Dr. Ana Ruiz", "phone": "+12125550111",
                                     "start": ny(2026, 10, 31, 18).astimezone(NY).isoformat(),
                                     "end": ny(2026, 11, 1, 7).astimezone(NY).isoformat()}
    assert now["say"] == "Dr. Ana Ruiz is on call now, until Sunday 11/1 at 7:00 AM."
    _, repeated_hour = ask(app, "vapi", at="2026-11-01T01:30")  # the first 1:30 AM (EDT)
    assert repeated_hour["on_call"]["now"]["person"] == "Dr. Ana Ruiz"
    _, nobody = ask(app, "vapi", at="2026-11-01T07:30")
    assert not nobody["ok"] and nobody["on_call"]["next"]["start"] == "2026-11-01T18:00:00-05:00"

    _, cover = ask(app, "retell", at=wall(ny(2026, 10, 29, 21)))
    assert cover["on_call"]["now"]["person"] == "Dr. Ben Cole" and cover["on_call"]["now"]["phone"] == "+12125550122"
    _, after_cover = ask(app, "retell", at=wall(ny(2026, 10, 29, 23, 30)))
    assert after_cover["on_call"]["now"]["person"] == "Dr. Ana Ruiz"

    _, day = ask(app, "vapi", at=wall(ny(2026, 11, 8, 12)))
    assert day["on_call"]["now"]["person"] == "Dr. Ben Cole"
    assert day["say"] == "Dr. Ben Cole is on call on Sunday 11/8 at 12:00 PM, until Monday 11/9 at 12:00 AM."
    _, gap = ask(app, "vapi", at=wall(ny(2026, 11, 16, 12)))  # the series ended on 11/15
    assert not gap["ok"] and gap["reason"] == "nobody on call"

    report = app.desk.watch.report()
    [on_call] = [c for c in report.connections if c.key == "on-call"]
    assert on_call.state == "ok" and on_call.numbers["last_refresh_at"] == app.clock().isoformat()


def test_a_refused_read_is_recorded_and_the_last_good_rota_still_answers(app, stack):
    app.desk.on_call.refresh()
    stack.google.revoke_refresh_token(stack.google.refresh_tokens(GOOGLE_ACCOUNT)[-1])
    stack.google.expire_access_tokens()
    app.clock.advance(minutes=45)
    read = app.desk.on_call.refresh()
    assert read.error and read.refreshed_at == app.clock() - timedelta(minutes=45)
    _, answer = ask(app, "vapi")
    assert answer["ok"] and answer["on_call"]["now"]["person"] == "Dr. Ana Ruiz"
    assert answer["stale"].startswith("the on-call calendar was last read 45 minutes ago")
    [on_call] = [c for c in app.desk.watch.report().connections if c.key == "on-call"]
    assert on_call.state == "failed" and on_call.problems == ("on-call-stale",)
