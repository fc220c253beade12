"""The service's buffers around a slot held for a caller on the phone refuse a booking as the held time itself
does, on every desk path (booking, move, approval, the review pane, the dialogs' check and free times), and the
reason names the hold; a calendar's busy time within a buffer stays a warning a person may book over."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import Severity
from receptionist.errors import UserError
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

CHICAGO = ZoneInfo("America/Chicago")
BUFFERED = Profile.from_dict({"availability": {"buffer_before_minutes": 10, "buffer_after_minutes": 10}})
AFTER_HELD = "within the 10-minute buffer after a time held for another caller"
BEFORE_HELD = "within the 10-minute buffer before a time held for another caller"


def tuesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=CHICAGO).astimezone(timezone.utc)


@pytest.fixture
def desk(store, clock):
    return make_desk(store, BUFFERED, events.EventBus(), {"google:primary": "Google Calendar"}, clock=clock)


def hold_ten(store, clock) -> None:
    """The agent offers 10:00–10:30 to a caller on the phone."""
    store.holds.hold("vapi", "on-the-phone", [(tuesday(10), tuesday(10, 30), "Cleaning", None)], clock(),
                     clock() + timedelta(minutes=10))


def test_the_desk_cannot_book_or_move_into_a_held_times_buffer(desk, store, clock):
    appt = desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(14))
    hold_ten(store, clock)
    for start, reason in ((tuesday(10, 30), AFTER_HELD), (tuesday(9, 30), BEFORE_HELD)):
        answer = desk.availability.check(start, "Cleaning")
        assert answer.slot is None and [r.message for r in answer.reasons][0].startswith(reason)
        with pytest.raises(UserError, match=f"cannot book it: requested_start: {reason}"):
            desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", start)
        with pytest.raises(UserError, match=f"cannot move it there: requested_start: {reason}"):
            desk.appointments.reschedule(appt.id, start)
    offered = {s.start for s in desk.availability.free_slots("Cleaning", tuesday(8).astimezone(CHICAGO).date(),
                                                              1).slots}
    assert tuesday(9, 15) in offered and tuesday(10, 45) in offered
    assert not offered & {tuesday(9, 30), tuesday(9, 45), tuesday(10), tuesday(10, 15), tuesday(10, 30)}
    assert [a.id for a in desk.appointments.between()] == [appt.id]
    assert desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10, 45)).start == tuesday(10, 45)
    clock.advance(minutes=11)  # the hold lapsed: its buffer is free again
    assert desk.appointments.reschedule(appt.id, tuesday(9, 30)).start == tuesday(9, 30)


def test_a_proposal_next_to_another_callers_hold_is_refused_at_review_and_approval(desk, store, clock):
    call = store_payload(store, payload(requested_start="2026-11-24T10:30:00", service="Cleaning",
                                        duration_minutes=30), location_rules(BUFFERED), clock())
    hold_ten(store, clock)
    issues = desk.bookings.review(call.id).issues
    assert [(i.severity, i.message.split(" (")[0]) for i in issues if i.field == "requested_start"] == [
        (Severity.ERROR, AFTER_HELD)]
    with pytest.raises(UserError, match=f"cannot approve yet: requested_start: {AFTER_HELD}"):
        desk.bookings.approve(call.proposal.id, call.proposal.version)
    assert desk.bookings.proposal(call.proposal.id).status.value == "pending"


def test_busy_time_that_is_not_held_stays_a_warning_in_the_buffer(desk, clock):
    desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10))
    _, issues = desk.checks.check(BookingDraft("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10, 30), 30))
    assert [(i.severity, "10-minute buffer before this booking" in i.message) for i in issues] == [
        (Severity.WARNING, True)]
    booked = desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10, 30))
    assert booked.start == tuesday(10, 30)  # a person books over a buffer next to a booking, warned


def test_a_hold_made_between_the_check_and_the_write_within_the_buffer_refuses_the_write(desk, store, clock,
                                                                                      monkeypatch):
    """The race, for the buffers: the agent offers a caller 10:00–10:30 after the desk checked a time within the
    service's 10-minute buffers of it and before the desk writes it. The write's own transaction asks the booking
    rule again (``holds.refuse_held`` with ``HeldRule``): refused on every write path, naming the buffer; nothing
    is written. A hold just beyond the buffers does not refuse it."""
    appt = desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(14))
    call = store_payload(store, payload(requested_start="2026-11-24T09:30:00", service="Cleaning",
                                        duration_minutes=30), location_rules(BUFFERED), clock())
    checked = desk.checks.taken_since
    offers = []

    def offered_meanwhile(draft):  # after the check, before the write
        offers.append(draft.start)
        hold_ten(store, clock)
        return checked(draft)

    monkeypatch.setattr(desk.checks, "taken_since", offered_meanwhile)
    stale = "offered to a caller on the phone a moment ago; choose another time"
    with pytest.raises(UserError, match=f"this time is {AFTER_HELD} .*, {stale}"):
        desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10, 30))
    clock.advance(minutes=11)  # that hold lapses; the next check sees none
    with pytest.raises(UserError, match=f"this time is {BEFORE_HELD} .*, {stale}"):
        desk.appointments.reschedule(appt.id, tuesday(9, 30))
    clock.advance(minutes=11)
    with pytest.raises(UserError, match=f"this time is {BEFORE_HELD} .*, {stale}"):
        desk.bookings.approve(call.proposal.id, call.proposal.version)
    assert offers == [tuesday(10, 30), tuesday(9, 30), tuesday(9, 30)]  # each checked before the hold came
    assert [(a.id, a.start) for a in desk.appointments.between()] == [(appt.id, tuesday(14))]
    assert desk.bookings.proposal(call.proposal.id).status.value == "pending"
    # beyond the buffers (10:40 is 10 minutes after the hold ends; 9:20 ends 10 minutes before it starts)
    assert desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10, 40)).start == tuesday(10, 40)
    assert desk.appointments.reschedule(appt.id, tuesday(9, 20)).start == tuesday(9, 20)
