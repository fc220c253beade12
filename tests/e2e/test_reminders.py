"""Reminders and replies end to end: the desk (App.build, the real ``twilio`` client and ``RequestValidator``)
against the sandbox's Twilio stand-in, which posts a caller's texts to the desk's receiver the way Twilio does.

A reminder is queued in the store, sent at its minute by the desk running then (after a restart), and once; "C"
confirms the appointment, "R" puts it on the callback desk, and after STOP the next confirmation is not sent."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests

from receptionist.app import App
from receptionist.config import Profile
from receptionist.domain.callbacks import CallbackReason
from receptionist.ingest.sms_replies import SMS_PATH
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.twilio import TwilioSandbox
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload
from tests.helpers.rows import outbox_items

pytestmark = pytest.mark.e2e

BUSINESS, CALLER = "+13125550100", "+13125550142"


@pytest.fixture
def twilio():
    box = TwilioSandbox(delivery_delay=None, numbers=[BUSINESS]).start()
    box.business_number = BUSINESS
    yield box
    box.stop()


@pytest.fixture
def desk_at(twilio, db_url, clock):
    """Start a desk (as after a restart: a new App on the same database) at the clock's time."""
    profile = Profile.from_dict({
        "twilio": {"enabled": True, "api_base": twilio.url, "account_sid": twilio.account_sid,
                   "from_number": BUSINESS},
        "reminders": {"enabled": True, "hours_before": 24},
        "ingest": {"port": 0}})
    secrets = memory_secret_store("reminders")
    secrets.set("twilio.auth_token", twilio.auth_token)
    apps = []

    def start() -> App:
        while apps:
            apps.pop().stop()
        app = App.build(profile, db_url, secrets, clock=clock)
        app.receiver.start()
        twilio.sms_url = app.receiver.base_url + SMS_PATH
        apps.append(app)
        return app

    yield start
    while apps:
        apps.pop().stop()


def book(app, clock, when):
    call = store_payload(app.store, payload(requested_start=when.isoformat()), app.desk.context.rules, clock())
    return app.desk.bookings.approve(call.proposal.id, call.proposal.version)


def reply(app, twilio, text: str) -> int:
    """The caller texts ``text``; the desk's intake worker does it. Returns the HTTP status Twilio was answered."""
    status = twilio.send_reply(CALLER, text).response_status
    app.ingestor.drain()
    return status


def sent_to_caller(twilio) -> list[str]:
    return [m["body"] for m in twilio.messages if m["to"] == CALLER]


def test_a_reminder_goes_out_once_at_its_minute_across_a_restart(desk_at, twilio, clock):
    app = desk_at()
    start = clock() + timedelta(days=2, hours=1)  # Wednesday 10 AM in Chicago
    appt = book(app, clock, start.astimezone(app.profile.location.zone).replace(tzinfo=None))
    app.sync_engine.run_cycle()
    assert len(sent_to_caller(twilio)) == 1  # the confirmation; the reminder waits in the store
    [reminder] = [m for m in outbox_items(app.store) if m["topic"] == "sms.reminder"]
    assert reminder["done_at"] is None

    clock.advance(days=1, minutes=59)  # a minute before it is due
    app = desk_at()  # the desk was restarted meanwhile
    app.sync_engine.run_cycle()
    assert len(sent_to_caller(twilio)) == 1
    clock.advance(minutes=1)  # its minute
    app.sync_engine.run_cycle()
    app = desk_at()
    app.sync_engine.run_cycle()
    bodies = sent_to_caller(twilio)
    assert len(bodies) == 2 and "Reply C to confirm" in bodies[1] and "11/25/2026 10:00 AM" in bodies[1]
    assert [m["topic"] for m in outbox_items(app.store) if m["topic"] == "sms.reminder"] == ["sms.reminder"]

    assert reply(app, twilio, "C") == 200  # the caller confirms
    assert app.desk.appointments.get(appt.id).caller_confirmed_at == clock()


def test_r_puts_the_appointment_on_the_callback_desk_and_stop_is_honoured(desk_at, twilio, clock):
    app = desk_at()
    zone = app.profile.location.zone
    book(app, clock, (clock() + timedelta(days=3)).astimezone(zone).replace(tzinfo=None))
    app.sync_engine.run_cycle()
    assert reply(app, twilio, "R") == 200
    [cb] = app.desk.callbacks.desk().callbacks
    assert cb.reason is CallbackReason.RESCHEDULE and cb.note == "Replied “R” to the reminder"

    assert reply(app, twilio, "STOP") == 200
    before = len(sent_to_caller(twilio))
    book(app, clock, (clock() + timedelta(days=4)).astimezone(zone).replace(tzinfo=None))
    app.sync_engine.run_cycle()
    assert len(sent_to_caller(twilio)) == before  # the next confirmation is not sent
    skipped = outbox_items(app.store)[0]
    assert (skipped["topic"], skipped["provider_id"], skipped["last_error"]) == (
        "sms.confirmation", "", "not sent: the caller replied STOP")
    assert app.store.outbox.last_error() is None  # not an SMS problem of the desk

    assert reply(app, twilio, "START") == 200
    book(app, clock, (clock() + timedelta(days=5)).astimezone(zone).replace(tzinfo=None))
    app.sync_engine.run_cycle()
    assert len(sent_to_caller(twilio)) == before + 1


def test_a_forged_reply_is_refused_and_changes_nothing(desk_at, twilio):
    app = desk_at()
    answer = requests.post(twilio.sms_url, data={"MessageSid": "SM" + "0" * 32, "From": CALLER, "Body": "STOP"},
                           headers={"X-Twilio-Signature": "forged"}, timeout=5)
    assert answer.status_code == 403
    assert not app.store.texting.stopped(CALLER)


def test_a_reply_answered_200_is_done_after_a_crash_before_the_worker_took_it(desk_at, twilio, clock):
    app = desk_at()
    zone = app.profile.location.zone
    appt = book(app, clock, (clock() + timedelta(days=2)).astimezone(zone).replace(tzinfo=None))
    assert twilio.send_reply(CALLER, "C").response_status == 200  # accepted: stored before the answer
    assert app.desk.appointments.get(appt.id).caller_confirmed_at is None  # the worker has not taken it yet
    assert twilio.send_reply(CALLER, "STOP").response_status == 200
    app = desk_at()  # the desk dies and comes back: its worker finds both pending and does them, once
    app.ingestor.start()
    deadline = time.monotonic() + 20
    while app.store.inbox.counts().get("pending") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.desk.appointments.get(appt.id).caller_confirmed_at == clock()
    assert app.store.texting.stopped(CALLER)
    assert app.store.inbox.counts() == {"done": 3}  # the call, and the two replies
    assert app.ingestor.drain() == 0
