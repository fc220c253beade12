"""Callers' text replies go through the durable inbox: the door stores the signed reply before answering 200, the
intake's worker does it (in one transaction with the inbox row), Twilio's retry of the same MessageSid changes
nothing, a desk that stopped before the worker took it does it at its next start, and a stored reply that cannot
be done is quarantined with the reason, not dropped."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.intake import DeliverySource, InboxState
from receptionist.ingest.intake import Intake
from receptionist.ingest.sms_replies import SMS_PLATFORM, TWIML_EMPTY, SmsReplies
from receptionist.services.context import location_rules
from receptionist.store.inbox import StorageUnavailable
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

TOKEN, URL, CALLER = "auth-token-1", "https://desk.example.com/webhooks/twilio/sms", "+13125550142"


def door(store, clock, bus=None):
    bus = bus or events.EventBus()
    intake = Intake(store, location_rules(Profile()), bus, lambda key: None, clock=clock)
    return intake, SmsReplies(store, location_rules(Profile()), bus, lambda: TOKEN, clock, intake)


def text(replies, body: str, sid: str = "SM" + "1" * 32, token: str = TOKEN):
    form = {"MessageSid": sid, "SmsSid": sid, "From": CALLER, "To": "+13125550100", "Body": body}
    signature = RequestValidator(token).compute_signature(URL, form)
    return replies.take(URL, form, signature, urlencode(form).encode())


def booked(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    start = (clock() + timedelta(days=2)).astimezone(profile.location.zone).replace(tzinfo=None)
    call = store_payload(store, payload(requested_start=start.isoformat()), location_rules(profile), clock())
    return desk.bookings.approve(call.proposal.id, call.proposal.version)


def test_a_reply_is_stored_before_the_answer_and_done_by_the_worker(store, profile, clock):
    appt = booked(store, profile, clock)
    intake, replies = door(store, clock)
    assert text(replies, " c ") == (200, TWIML_EMPTY)
    [row] = [r for r in store.inbox.get_many(range(1, 10)) if r.platform == SMS_PLATFORM]
    assert row.state is InboxState.PENDING and b"Body=+c+" in row.body  # raw, as Twilio posted it
    assert store.appointments.get(appt.id).caller_confirmed_at is None

    clock.advance(minutes=1)
    intake, _ = door(store, clock)  # the desk restarted before its worker took the reply
    assert intake.drain() == 1
    assert store.appointments.get(appt.id).caller_confirmed_at == clock() - timedelta(minutes=1)  # when it came
    done = store.inbox.get(row.id)
    assert (done.state, done.reason, done.processed_at) == (InboxState.DONE, "text reply: confirm", clock())


def test_twilios_retry_of_the_same_reply_changes_nothing(store, clock):
    intake, replies = door(store, clock)
    assert text(replies, "STOP")[0] == 200
    assert text(replies, "STOP")[0] == 200  # Twilio did not hear our answer and sent it again
    assert intake.drain() == 1
    assert store.texting.stopped(CALLER)
    assert [a.action for a in store.audit.entries()].count("sms.stop") == 1
    assert text(replies, "START", sid="SM" + "2" * 32)[0] == 200
    intake.drain()
    assert not store.texting.stopped(CALLER)


def test_a_forged_reply_stores_nothing_and_a_full_disk_is_answered_503(store, clock, monkeypatch):
    intake, replies = door(store, clock)
    assert text(replies, "STOP", token="not-the-token")[0] == 403
    assert store.inbox.counts() == {}
    intake.refusals.flush()  # counted with the webhook's refusals (the worker's tick writes them)
    assert store.reliability.refusals(clock() - timedelta(hours=1), clock()) == {SMS_PLATFORM: 1}

    def full(**_):
        raise StorageUnavailable("disk full")

    monkeypatch.setattr(store.inbox, "store_delivery", full)
    assert text(replies, "STOP")[0] == 503  # Twilio retries
    assert not store.texting.stopped(CALLER)


def test_a_stored_reply_that_cannot_be_done_is_quarantined_with_the_reason(store, clock):
    intake, _ = door(store, clock)
    inbox_id, _ = store.inbox.store_delivery(platform=SMS_PLATFORM, dedupe_key="SMbroken",
                                             source=DeliverySource.WEBHOOK, received_at=clock(), url=URL,
                                             headers={}, body=b"Body=C")
    intake.drain()
    kept = store.inbox.get(inbox_id)
    assert kept.state is InboxState.QUARANTINED
    assert kept.reason.startswith("the twilio-sms delivery could not be done (ValueError: the stored reply has no "
                                  "MessageSid or From)")
