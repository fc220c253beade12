"""Each text's delivery status, end to end: the desk (App.build, the real ``twilio`` client) sends its confirmations
with a StatusCallback on its own receiver; the sandbox's Twilio stand-in posts the status callbacks as Twilio does
(signed, form-encoded, no callback for the initial status, out of order, one failed with its error code); the
desk stores each through the inbox and shows how far each text got (service read, ``texts list --json``)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from receptionist.app import App
from receptionist.cli import main
from receptionist.config import Profile
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.twilio import TwilioSandbox
from tests.e2e.test_service_process import free_port
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

pytestmark = pytest.mark.e2e

BUSINESS, REACHED, OFF, BROKEN = "+13125550100", "+13125550142", "+13125550143", "+13125550144"


@pytest.fixture
def twilio():
    box = TwilioSandbox(delivery_delay=0.02, numbers=[BUSINESS], undeliverable=[OFF], failing=[BROKEN],
                        out_of_order=True).start()
    yield box
    box.stop()


@pytest.fixture
def app(twilio, db_url, clock):
    port = free_port()
    profile = Profile.from_dict({
        "twilio": {"enabled": True, "api_base": twilio.url, "account_sid": twilio.account_sid,
                   "from_number": BUSINESS},
        "ingest": {"port": port, "public_base_url": f"http://127.0.0.1:{port}"}})
    secrets = memory_secret_store("text-status")
    secrets.set("twilio.auth_token", twilio.auth_token)
    desk = App.build(profile, db_url, secrets, clock=clock)
    desk.ingestor.start()
    desk.receiver.start()
    yield desk
    desk.stop()


def book(app, clock, number: str, days: int):
    when = (clock() + timedelta(days=days)).astimezone(app.profile.location.zone).replace(tzinfo=None)
    body = payload(requested_start=when.isoformat(), caller={"name": "Maria Lopez", "callback_number": number})
    call = store_payload(app.store, body, app.desk.context.rules, clock())
    return app.desk.bookings.approve(call.proposal.id, call.proposal.version)


def settled(app, twilio, count: int) -> None:
    """Wait until the stand-in posted ``count`` status callbacks and the desk's worker took them all."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(twilio.callbacks) >= count and not app.store.inbox.counts().get("pending"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{len(twilio.callbacks)} status callbacks, inbox {app.store.inbox.counts()}")


def test_each_confirmation_shows_how_far_it_got(app, twilio, clock, capsys, db_url):
    reached, off, broken = (book(app, clock, n, d) for n, d in ((REACHED, 2), (OFF, 3), (BROKEN, 4)))
    texts = app.desk.texts
    assert texts.confirmation(reached.id).state == "waiting"
    app.sync_engine.run_cycle()
    assert texts.confirmation(reached.id).sid.startswith("SM")  # sent: Twilio's callbacks follow
    settled(app, twilio, 5)  # delivered and sent (out of order), undelivered and sent, failed
    assert [c.params["MessageStatus"] for c in twilio.callbacks if c.params["To"] == REACHED] == ["delivered",
                                                                                                   "sent"]
    assert all(c.response_status == 200 for c in twilio.callbacks)

    done = texts.confirmation(reached.id)
    assert (done.state, done.delivered, texts.words(done)) == ("delivered", True, "Delivered")  # "sent" came late
    lost = texts.confirmation(off.id)
    assert (lost.state, lost.error_code, lost.delivered) == ("undelivered", 30003, False)
    assert texts.words(lost) == "Not delivered — 30003: the phone is off or unreachable"
    failed = texts.confirmation(broken.id)
    assert (failed.state, failed.error_code, texts.words(failed)) == (
        "failed", 30008, "Not delivered — 30008: an unknown error at the carrier")

    # a status callback Twilio sends again changes nothing; the inbox kept one of each
    assert app.store.inbox.counts() == {"done": 3 + 5}
    statuses = [c for c in twilio.callbacks]
    twilio._post_callback(statuses[0].url, statuses[0].params)
    assert app.store.inbox.counts() == {"done": 3 + 5}

    assert main(["texts", "list", reached.id, "--json", "--db", db_url.removeprefix("sqlite:///")]) == 0
    [row] = json.loads(capsys.readouterr().out)["texts"]
    assert (row["kind"], row["state"], row["delivered"], row["to"]) == ("confirmation", "delivered", True, REACHED)
