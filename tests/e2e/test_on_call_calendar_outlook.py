"""The on-call rota on a shared Outlook calendar, end to end through the product's own Graph client (MSAL sign-in,
``calendarView``) against the Graph stand-in: a nightly recurring shift (expanded by Graph, across the autumn DST
change), a one-off cover over it, and an all-day shift are put on a second calendar of the mailbox; the leader's
refresh reads them; the AI agent's ``who_is_on_call`` on the receiver (Vapi and Retell) names the right person and
phone; a refused sign-in is recorded and the last good rota still answers."""

from datetime import timedelta

import pytest

from receptionist.config import Profile
from tests.helpers.on_call import NY, ask, ny, started_app, wall

pytestmark = pytest.mark.e2e


def when(text: str) -> dict:
    return {"dateTime": text, "timeZone": "Eastern Standard Time"}  # Outlook's own (Windows) zone name


@pytest.fixture
def app(stack, db_url):
    stack.microsoft.faults.clear()
    rota = stack.microsoft.add_calendar(None, "On-call rota")
    # every night from Monday 10/26 at 6 PM to 8 AM, Dr. Ana Ruiz (phone in the body); Graph expands the series
    stack.microsoft.seed_event(None, {
        "subject": "On call: Dr. Ana Ruiz", "body": {"contentType": "text", "content": "Cell: (212) 555-0111"},
        "start": when("2026-10-26T18:00:00"), "end": when("2026-10-27T08:00:00"), "showAs": "free",
        "recurrence": {"pattern": {"type": "daily", "interval": 1},
                       "range": {"type": "numbered", "startDate": "2026-10-26", "numberOfOccurrences": 21}}},
        calendar_id=rota)
    # a cover over Thursday evening (HTML body, as Outlook writes it), and Sunday 11/8 all day: Dr. Ben Cole, whose
    # phone is in [people]
    stack.microsoft.seed_event(None, {
        "subject": "On-call - Dr. Ben Cole", "body": {"contentType": "html", "content": "<p>Covering for Ana</p>"},
        "start": when("2026-10-29T20:00:00"), "end": when("2026-10-29T23:00:00")}, calendar_id=rota)
    stack.microsoft.seed_event(None, {
        "subject": "Dr. Ben Cole", "isAllDay": True, "showAs": "free",
        "start": when("2026-11-08T00:00:00"), "end": when("2026-11-09T00:00:00")}, calendar_id=rota)
    base = Profile.from_dict({
        "location": {"time_zone": "America/New_York"},
        "people": {"members": [{"name": "Dr. Ben Cole", "phone": "+12125550122"}]}})
    data = stack.profile(base, ingest_port=0).model_dump()
    data["google"]["enabled"] = False  # the rota's account is the only one
    data["availability"]["on_call_calendar"] = f"outlook:{rota}"
    profile = Profile.from_dict(data)
    app = started_app(stack, db_url, profile, "on-call-outlook")
    yield app
    app.stop()


def test_the_rota_on_a_shared_outlook_calendar_answers_who_is_on_call(app, stack):
    status, before = ask(app, "vapi")
    assert status == 200 and not before["ok"] and before["reason"] == "on-call calendar not read"

    read = app.desk.on_call.refresh()  # what the sync leader runs at once and every on_call_refresh_minutes
    assert read.error is None and read.problems == ()
    assert read.shifts == 21 - 3 + 1 + 1  # the nights from two days back, the cover, Sunday 11/8
    assert [e for e in stack.microsoft.events() if "Dr." in e["subject"]] == []  # nothing on the default calendar

    status, now = ask(app, "vapi")
    assert status == 200 and now["ok"], now
    # the night the clocks go back: Graph's occurrence keeps the series' exact 14 hours, so it ends at 7:00 AM EST
    assert now["on_call"]["now"] == {"person": "Dr. Ana Ruiz", "phone": "+12125550111",
                                     "start": ny(2026, 10, 31, 18).astimezone(NY).isoformat(),
                                     "end": ny(2026, 11, 1, 7).astimezone(NY).isoformat()}
    assert now["say"] == "Dr. Ana Ruiz is on call now, until Sunday 11/1 at 7:00 AM."
    _, repeated_hour = ask(app, "vapi", at="2026-11-01T01:30")  # the first 1:30 AM (EDT)
    assert repeated_hour["on_call"]["now"]["person"] == "Dr. Ana Ruiz"
    _, nobody = ask(app, "vapi", at="2026-11-01T07:30")
    assert not nobody["ok"] and nobody["on_call"]["next"]["start"] == "2026-11-01T18:00:00-05:00"
    _, after_change = ask(app, "vapi", at="2026-11-02T07:30")  # the next morning: 6 PM EST to 8 AM EST
    assert after_change["on_call"]["now"]["end"] == "2026-11-02T08:00:00-05:00"

    _, cover = ask(app, "retell", at=wall(ny(2026, 10, 29, 21)))
    assert cover["on_call"]["now"]["person"] == "Dr. Ben Cole" and cover["on_call"]["now"]["phone"] == "+12125550122"
    _, after_cover = ask(app, "retell", at=wall(ny(2026, 10, 29, 23, 30)))
    assert after_cover["on_call"]["now"]["person"] == "Dr. Ana Ruiz"

    _, day = ask(app, "vapi", at=wall(ny(2026, 11, 8, 12)))
    assert day["on_call"]["now"]["person"] == "Dr. Ben Cole"
    assert day["say"] == "Dr. Ben Cole is on call on Sunday 11/8 at 12:00 PM, until Monday 11/9 at 12:00 AM."
    _, gap = ask(app, "vapi", at=wall(ny(2026, 11, 16, 12)))  # the series ended on 11/15
    assert not gap["ok"] and gap["reason"] == "nobody on call"

    [on_call] = [c for c in app.desk.watch.report().connections if c.key == "on-call"]
    assert on_call.state == "ok" and on_call.numbers["last_refresh_at"] == app.clock().isoformat()


def test_a_refused_outlook_sign_in_is_recorded_and_the_last_good_rota_still_answers(app, stack):
    app.desk.on_call.refresh()
    stack.microsoft.revoke_refresh_tokens()
    stack.microsoft.expire_access_tokens()
    app.clock.advance(minutes=45)
    read = app.desk.on_call.refresh()
    assert read.error and read.refreshed_at == app.clock() - timedelta(minutes=45)
    _, answer = ask(app, "vapi")
    assert answer["ok"] and answer["on_call"]["now"]["person"] == "Dr. Ana Ruiz"
    assert answer["stale"].startswith("the on-call calendar was last read 45 minutes ago")
    [on_call] = [c for c in app.desk.watch.report().connections if c.key == "on-call"]
    assert on_call.state == "failed" and on_call.problems == ("on-call-stale",)
