"""Approving a booking: the warnings it is approved despite, the confirmation text (edited, skipped, or withheld
because the caller prefers a phone call), and a cancel/reschedule call's matching appointments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from receptionist import events
from receptionist.domain.models import Severity
from receptionist.errors import UserError
from receptionist.services.checks import draft_of
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

CALENDARS = {"google:primary": "Google Calendar"}


@pytest.fixture
def desk(store, profile, clock):
    return make_desk(store, profile, events.EventBus(), CALENDARS, clock=clock, sms_enabled=True)


def stored(desk, clock, **overrides):
    call = store_payload(desk.context.store, payload(**overrides), location_rules(desk.context.profile), clock())
    return call.proposal


def texts(desk, clock):
    return [body for _id, topic, body, *_ in desk.context.store.outbox.due(clock() + timedelta(days=1))
            if topic == "sms.confirmation"]


def test_approve_texts_the_usual_confirmation(desk, clock):
    p = stored(desk, clock)
    desk.bookings.approve(p.id, p.version)
    [sms] = texts(desk, clock)
    assert sms["to"] == "+13125550142" and "confirmed for 11/24/2026 at 10:30 AM" in sms["body"]


def test_prefers_a_call_sends_no_text(desk, clock):
    p = stored(desk, clock, summary="Maria wants a cleaning Tuesday; she prefers a phone call to confirm.")
    plan = desk.bookings.approval_plan(p.id, draft_of(p))
    assert not plan.contact.text_ok and "prefers a phone call" in plan.contact.reason
    desk.bookings.approve(p.id, p.version)
    assert texts(desk, clock) == []


def test_a_person_may_text_anyway_or_edit_or_skip(desk, clock):
    p = stored(desk, clock, summary="She prefers a phone call.")
    desk.bookings.approve(p.id, p.version, text="Hi Maria, see you Tuesday at 10:30!", notify=True)
    assert [s["body"] for s in texts(desk, clock)] == ["Hi Maria, see you Tuesday at 10:30!"]
    q = stored(desk, clock, requested_start="2026-11-25T10:30:00")
    desk.bookings.approve(q.id, q.version, notify=False)
    assert len(texts(desk, clock)) == 1


def test_an_empty_text_is_refused_and_nothing_is_booked(desk, clock):
    p = stored(desk, clock)
    with pytest.raises(UserError, match="confirmation text is empty"):
        desk.bookings.approve(p.id, p.version, text="  ", notify=True)
    assert desk.bookings.proposal(p.id).status.value == "pending"


def test_plan_names_the_warnings(desk, clock):
    p = stored(desk, clock)
    desk.bookings.approve(p.id, p.version)
    q = stored(desk, clock)  # the same slot again: an overlap, a warning not an error
    plan = desk.bookings.approval_plan(q.id, draft_of(q))
    assert plan.warnings and all(w.severity is Severity.WARNING for w in plan.warnings)
    assert plan.text is not None and "10:30 AM" in plan.text


def test_cancel_call_lists_the_callers_upcoming_appointments(desk, clock):
    p = stored(desk, clock)
    appt = desk.bookings.approve(p.id, p.version)
    c = stored(desk, clock, reason_codes=["cancel"], summary="Maria wants to cancel her cleaning.")
    review = desk.bookings.review(desk.context.store.calls.of_proposal(c.id).id)
    assert review.refusal and [a.id for a in review.matches] == [appt.id]
    desk.appointments.cancel(appt.id, "asked to")
    assert desk.bookings.review(review.call.id).matches == []


def test_a_moved_appointment_says_so_in_its_notes(desk, clock):
    p = stored(desk, clock)
    appt = desk.bookings.approve(p.id, p.version)
    assert appt.notes == "Maria Lopez wants a cleaning Tuesday 10:30 AM."
    moved = desk.appointments.reschedule(appt.id, appt.start + timedelta(days=1, hours=3))
    assert moved.notes == ("Maria Lopez wants a cleaning Tuesday 10:30 AM.\n"
                           "Moved on 11/23/2026 from 11/24/2026 10:30 AM to 11/25/2026 1:30 PM CST.")
