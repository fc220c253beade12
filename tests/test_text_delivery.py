"""A text's delivery status over a real store: Twilio's status callbacks recorded per MessageSid, a late one never
taking a text back (Twilio does not keep their order), a status that comes before the send's answer is recorded
is kept, and the words the desk shows for each state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from receptionist import events
from receptionist.domain.texting import STATUS_RANK, TextDelivery, moves_forward
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

T0 = datetime(2026, 11, 23, 15, tzinfo=timezone.utc)


def text(**kw) -> TextDelivery:
    base = dict(id=1, topic="sms.confirmation", to="+13125550142", body="Hi", queued_at=T0, due_at=T0,
                done_at=None, sid=None, note=None, status=None, error_code=None, status_at=None)
    return TextDelivery(**{**base, **kw})


@given(st.permutations(["queued", "sending", "sent", "delivered"]))
def test_whatever_order_the_callbacks_come_in_the_furthest_status_stays(order):
    current = None
    for status in order:
        if moves_forward(current, status):
            current = status
    assert current == "delivered"


def test_the_words_of_each_state():
    assert text().words("11/24/2026 8:00 AM") == "Waiting to be sent at 11/24/2026 8:00 AM"
    assert text(done_at=T0, sid="", note="not sent: the caller replied STOP").words() == \
        "Not sent: the caller replied STOP"
    assert text(done_at=T0, note="Twilio refused the number").words() == "Not sent: Twilio refused the number"
    assert text(done_at=T0, sid="SM1").words() == "With Twilio, not yet sent"
    assert text(done_at=T0, sid="SM1", status="sent").words() == "Sent, not yet delivered"
    assert text(done_at=T0, sid="SM1", status="undelivered", error_code=30006).words() == \
        "Not delivered — 30006: a landline or a number that takes no texts"
    assert text(done_at=T0, sid="SM1", status="failed", error_code=30410).words() == \
        "Not delivered — 30410: see twilio.com/docs/api/errors/30410"
    assert [text(done_at=T0, sid="SM1", status=s).delivered for s in ("delivered", "failed", "sent")] == [
        True, False, None]
    assert set(STATUS_RANK) >= {"queued", "sent", "delivered", "undelivered", "failed"}


def test_statuses_are_kept_per_text_and_a_late_one_changes_nothing(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock, sms_enabled=True)
    call = store_payload(store, payload(requested_start="2026-11-25T10:30:00"), location_rules(profile), clock())
    appt = desk.bookings.approve(call.proposal.id, call.proposal.version)
    texting = store.texting
    # Twilio's callback came before the desk recorded the send's answer: kept by sid, joined once it is recorded
    assert texting.take_status("SMabc", "sent", None, clock())
    [waiting] = desk.texts.of_appointment(appt.id)
    assert (waiting.state, waiting.topic) == ("waiting", "sms.confirmation")
    store.outbox.done(waiting.id, clock(), "SMabc")
    assert desk.texts.confirmation(appt.id).state == "sent"
    assert texting.take_status("SMabc", "undelivered", 30003, clock() + timedelta(seconds=2))
    assert not texting.take_status("SMabc", "sent", None, clock() + timedelta(seconds=3))  # late
    final = desk.texts.confirmation(appt.id)
    assert (final.state, final.error_code, final.status_at) == ("undelivered", 30003, clock() + timedelta(seconds=2))
