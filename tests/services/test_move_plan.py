"""What a move would do, said before it is confirmed (a drop in the calendar, ``appointments reschedule --preview``):
the calendars updated, by name, and the text that would go or why none can (SMS off, no number, STOP, the quiet
hours); a move onto a chair takes that chair, and is refused with the reason when that chair is busy then."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.cli import build_parser
from receptionist.commands import run
from receptionist.config import Profile
from receptionist.domain.models import SyncState
from receptionist.domain.reminders import Reply
from receptionist.errors import UserError
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

CHICAGO = ZoneInfo("America/Chicago")
CALENDARS = {"google:primary": "Google (Front desk)", "outlook:default": "Outlook"}
PROFILE = Profile.from_dict({"availability": {
    "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]},
                 {"name": "Checkup", "duration_minutes": 30}],
    "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}]}})


def tuesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=CHICAGO)


def desk_on(store, clock, sms=True):
    return make_desk(store, PROFILE, events.EventBus(), CALENDARS, clock=clock, sms_enabled=sms)


def booked(desk, hour: int, name="Ana Ruiz", phone="+13125550100", service="Cleaning"):
    return desk.appointments.book(name, phone, service, tuesday(hour))


def test_the_plan_names_each_calendar_and_the_text_and_the_links_go_pending(store, clock):
    desk = desk_on(store, clock)
    appt = booked(desk, 10)
    plan = desk.appointments.move_plan(appt.id, tuesday(14))
    assert plan.calendars == "Google (Front desk), Outlook will be updated at the next sync."
    assert plan.texting(True) == "A text to (312) 555-0100 will tell Ana the new time."
    assert plan.texting(False) == "No text: “Text the caller about the change” is not ticked."
    assert (plan.start, plan.end) == (tuple(t.astimezone(timezone.utc) for t in (tuesday(14), tuesday(15))))
    assert plan.refused is None and plan.resource == plan.resource_before == "Chair 1"
    assert desk.appointments.get(appt.id).start == tuesday(10)  # a plan changes nothing
    moved = desk.appointments.reschedule(appt.id, tuesday(14), notify=True)
    assert {link.state for link in moved.links} == {SyncState.PENDING} and len(moved.links) == 2


def test_no_text_says_why_texting_off_or_stop(store, clock):
    desk = desk_on(store, clock, sms=False)
    appt = booked(desk, 10)
    assert desk.appointments.move_plan(appt.id, tuesday(14)).texting(True) == \
        "No text: texting is off for this location (twilio.enabled = false)."
    desk = desk_on(store, clock)
    store.texting.take_reply("SM1", "+13125550100", "STOP", Reply.STOP, clock(), clock())
    plan = desk.appointments.move_plan(appt.id, tuesday(14))
    assert plan.texting(True) == "No text: the caller replied STOP to our texts." and plan.no_text


def test_in_the_quiet_hours_the_text_waits_for_their_end(store, clock):
    desk = desk_on(store, clock)
    appt = booked(desk, 10)
    clock.advance(hours=13, minutes=30)  # Monday 10:30 PM: quiet from 9:00 PM to 8:00 AM
    plan = desk.appointments.move_plan(appt.id, tuesday(14))
    assert plan.texting(True) == "A text to (312) 555-0100 will tell Ana the new time at 8:00 AM, when the quiet " \
                                 "hours end."


def test_a_move_onto_a_chair_takes_it_and_a_busy_chair_is_refused_with_the_reason(store, clock):
    desk = desk_on(store, clock)
    first, other = booked(desk, 10), booked(desk, 13, name="Bo Chen", phone="+13125550101")
    assert (first.resource, other.resource) == ("Chair 1", "Chair 1")
    plan = desk.appointments.move_plan(first.id, tuesday(13), resource="Chair 2")
    assert plan.refused is None and (plan.resource_before, plan.resource) == ("Chair 1", "Chair 2")
    refused = desk.appointments.move_plan(first.id, tuesday(13), resource="chair 1")
    assert refused.refused.startswith("Chair 1 is not free then: overlaps Cleaning")
    with pytest.raises(UserError, match="cannot move it there: Chair 1 is not free then: overlaps Cleaning"):
        desk.appointments.reschedule(first.id, tuesday(13), resource="Chair 1")
    assert desk.appointments.get(first.id).version == first.version
    with pytest.raises(UserError, match="'Chair 9' is not a resource here"):
        desk.appointments.reschedule(first.id, tuesday(13), resource="Chair 9")
    checkup = booked(desk, 15, name="Cy Dee", service="Checkup")
    assert desk.appointments.move_plan(checkup.id, tuesday(16), resource="Chair 2").refused == \
        "Chair 2 does not take Checkup"
    moved = desk.appointments.reschedule(first.id, tuesday(13), resource="Chair 2")
    assert moved.resource == "Chair 2" and moved.start == tuesday(13)
    # the same chair at its own time again: itself is not in its way
    assert desk.appointments.reschedule(first.id, tuesday(13), 90, resource="Chair 2").end == \
        tuesday(14, 30)


def test_the_command_previews_and_moves_onto_a_chair(store, clock, capsys):
    desk = desk_on(store, clock)
    appt = booked(desk, 10)
    parser = build_parser()
    args = parser.parse_args(["appointments", "reschedule", appt.id, "--start", "11/24/2026 2:00 PM",
                              "--resource", "Chair 2", "--preview", "--notify", "--json"])
    assert run(args, desk) == 0
    out = capsys.readouterr().out
    assert '"calendars_updated": [\n    "Google (Front desk)",\n    "Outlook"\n  ]' in out
    assert "A text to (312) 555-0100 will tell Ana the new time." in out and '"resource": "Chair 2"' in out
    assert desk.appointments.get(appt.id).start == tuesday(10)
    args = parser.parse_args(["appointments", "reschedule", appt.id, "--start", "11/24/2026 2:00 PM",
                              "--resource", "Chair 2"])
    assert run(args, desk) == 0
    moved = desk.appointments.get(appt.id)
    assert (moved.start, moved.resource) == (tuesday(14), "Chair 2")


def test_a_call_that_asked_for_no_texts_is_said_and_a_person_may_text_anyway(store, clock):
    desk = desk_on(store, clock)
    said = "Maria wants a cleaning; she prefers a phone call."
    call = store_payload(store, payload(requested_start="2026-11-24T10:00:00", service="Cleaning",
                                        duration_minutes=60, summary=said), location_rules(PROFILE), clock())
    appt = desk.bookings.approve(call.proposal.id, call.proposal.version)
    plan = desk.appointments.move_plan(appt.id, tuesday(14))
    assert plan.no_text is None and "prefers a phone call" in plan.advice
    assert plan.texting(False).startswith("No text: the caller prefers a phone call")
    assert plan.texting(False).endswith("(tick “Text the caller about the change” to text anyway).")
    assert plan.texting(True) == "A text to (312) 555-0142 will tell Maria the new time."
