"""Call back end to end: the desk's capability through the real ``twilio`` client against the sandbox's Voice
stand-in. Twilio rings the owner's own phone first; when the owner answers, the TwiML dials the caller with the
business number as caller id."""

from __future__ import annotations

import pytest

from receptionist import events
from receptionist.config import Profile, TwilioSettings
from receptionist.providers.twilio_messaging import TwilioMessenger
from receptionist.services import Desk, DeskContext
from receptionist.services.context import location_rules
from receptionist_sandbox.twilio import TwilioSandbox
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

pytestmark = pytest.mark.e2e

BUSINESS = "+13125550100"
OWNER = "+13125550999"


@pytest.fixture
def twilio():
    box = TwilioSandbox(delivery_delay=None, numbers=[BUSINESS]).start()
    yield box
    box.stop()


def test_call_back_rings_the_owner_then_the_caller_sees_the_business_number(request, store, clock, twilio):
    profile = Profile.from_dict({"people": {"members": [{"name": "Ana Ruiz", "role": "owner", "phone": OWNER}]}})
    settings = TwilioSettings(enabled=True, api_base=twilio.url, account_sid=twilio.account_sid,
                              from_number=BUSINESS)
    dialer = TwilioMessenger(settings, twilio.auth_token)
    request.addfinalizer(dialer.close)  # its kept-alive connection to the sandbox
    desk = Desk(DeskContext.of(store, profile, events.EventBus(), {}, clock, dialer=dialer))
    store_payload(store, payload(reason_codes=["request_callback"], service=..., requested_start=...),
                  location_rules(profile), clock())
    [cb] = desk.callbacks.desk().callbacks

    record, placed = desk.callbacks.call_back(cb.id, actor="Ana Ruiz")

    [owner_leg] = twilio.legs
    assert (owner_leg["to"], owner_leg["from"], owner_leg["direction"]) == (OWNER, BUSINESS, "outbound-api")
    assert placed.sid == owner_leg["sid"] == record.call_sid and placed.status == "queued"
    [caller_leg] = twilio.answer_call(placed.sid)  # the owner picks up
    assert (caller_leg["to"], caller_leg["from"]) == ("+13125550142", BUSINESS)  # the caller sees the business
    assert caller_leg["parent_call_sid"] == placed.sid and caller_leg["direction"] == "outbound-dial"
    assert twilio.call(placed.sid)["status"] == "in-progress"
    assert [c["sid"] for c in twilio.legs] == [placed.sid, caller_leg["sid"]]  # the owner's leg first
    assert ("callback.called", "Ana Ruiz") in {(e.action, e.actor) for e in store.audit.entries()}
