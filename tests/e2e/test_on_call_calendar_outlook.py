"""The on-call rota on a shared Outlook calendar, end to end through the product's own Graph client (MSAL sign-in,
``calendarView``) against the Graph stand-in: a nightly recurring shift (expanded by Graph, across the autumn DST
change), a one-off cover over it, and an all-day shift are put on a second calendar of the mailbox; the leader's
refresh reads them; the AI agent's ``who_is_on_call`` on the receiver (Vapi and Retell) names the right person and
phone; a refused sign-in is recorded and the last good rota still answers."""


import pytest

from receptionist.config import Profile
from tests.helpers.on_call import (
    ask,
    assert_a_refused_read_keeps_the_last_rota,
    assert_the_rota_answers,
    started_app,
)

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
    assert_the_rota_answers(app)
    assert [e for e in stack.microsoft.events() if "Dr." in e["subject"]] == []  # nothing on the default calendar
    _, after_change = ask(app, "vapi", at="2026-11-02T07:30")  # the next morning: 6 PM EST to 8 AM EST
    assert after_change["on_call"]["now"]["end"] == "2026-11-02T08:00:00-05:00"


def test_a_refused_outlook_sign_in_is_recorded_and_the_last_good_rota_still_answers(app, stack):
    def refuse():
        stack.microsoft.revoke_refresh_tokens()
        stack.microsoft.expire_access_tokens()

    assert_a_refused_read_keeps_the_last_rota(app, refuse)
