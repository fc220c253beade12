"""An owner acknowledges an alert by answering its text, end to end: the desk (App.build, the real ``twilio`` client
and ``RequestValidator``) texts an unacknowledged alert to the owner through the sandbox's Twilio stand-in; the
stand-in posts the owner's reply to the desk's receiver as Twilio does; it goes through the durable inbox and the
intake's worker acknowledges the alert ("OK": the latest texted; "ACK N": that one), audited with the owner's name.
A caller's "OK" acknowledges nothing."""

from __future__ import annotations


import pytest
from sqlalchemy import select

from receptionist.app import App
from receptionist.config import Profile
from receptionist.domain.intake import InboxState
from receptionist.ingest.sms_replies import SMS_PATH, SMS_PLATFORM
from receptionist.providers.secrets import memory_secret_store
from receptionist.store import tables as t
from receptionist_sandbox.twilio import TwilioSandbox
from tests.helpers.health_states import make_state

pytestmark = pytest.mark.e2e

BUSINESS, OWNER, CALLER = "+13125550100", "+13125550199", "+13125550142"


@pytest.fixture
def twilio():
    box = TwilioSandbox(delivery_delay=None, numbers=[BUSINESS]).start()
    yield box
    box.stop()


@pytest.fixture
def app(twilio, db_url, clock):
    profile = Profile.from_dict({
        "twilio": {"enabled": True, "api_base": twilio.url, "account_sid": twilio.account_sid,
                   "from_number": BUSINESS},
        "google": {"enabled": True},
        "people": {"members": [{"name": "Olga", "role": "owner", "phone": OWNER}, {"name": "amy"}]},
        "ingest": {"port": 0, "platform": "vapi"}})
    secrets = memory_secret_store("alert-ack")
    secrets.set("twilio.auth_token", twilio.auth_token)
    desk = App.build(profile, db_url, secrets, clock=clock)
    desk.receiver.start()
    twilio.sms_url = desk.receiver.base_url + SMS_PATH
    yield desk
    desk.stop()


def texted_alerts(app, twilio, clock) -> list:
    """Raise the held and budget alerts, then let 16 minutes pass unacknowledged: each is texted to the owner."""
    make_state(app.store, "held", clock())
    make_state(app.store, "budget-fast", clock())
    raised = app.desk.watch.evaluate()
    clock.advance(minutes=16)
    make_state(app.store, "budget-fast", clock())  # still failing
    app.desk.watch.evaluate()
    assert len([m for m in twilio.messages if m["to"] == OWNER]) == len(raised) >= 2
    return raised


def reply(app, twilio, number: str, body: str) -> int:
    status = twilio.send_reply(number, body).response_status
    app.ingestor.drain()
    return status


def test_an_owner_acknowledges_by_answering_the_text(app, twilio, clock):
    raised = texted_alerts(app, twilio, clock)
    bodies = [m["body"] for m in twilio.messages if m["to"] == OWNER]
    assert all(f"Reply ACK {a.id} (or OK)" in b for a, b in zip(sorted(raised, key=lambda a: a.id), bodies))
    newest = max(a.id for a in raised)

    assert reply(app, twilio, CALLER, "OK") == 200  # a caller's OK is a caller's reply: no alert is touched
    assert all(a.acked_at is None for a in app.store.reliability.alerts())

    assert reply(app, twilio, OWNER, "ok") == 200  # the latest alert texted to the owner
    acked = {a.id: a for a in app.store.reliability.alerts()}
    assert acked[newest].acked_by == "Olga" and acked[newest].acked_at == clock()
    assert [a.id for a in acked.values() if a.acked_at] == [newest]

    oldest = min(a.id for a in raised)
    assert reply(app, twilio, OWNER, f"ACK {oldest}") == 200
    assert app.store.reliability.alerts()[-1].acked_by == "Olga"
    with app.store.session() as s:
        audits = s.execute(select(t.AuditEntry.actor, t.AuditEntry.entity_id).where(
            t.AuditEntry.action == "alert_acknowledged").order_by(t.AuditEntry.id)).all()
    assert audits == [("Olga", str(newest)), ("Olga", str(oldest))]
    inbox = [r for r in app.store.inbox.get_many(range(1, 50)) if r.platform == SMS_PLATFORM]
    assert all(r.state is InboxState.DONE for r in inbox)
    assert [r.reason for r in inbox][-2:] == [f"alert acknowledged by text: {newest}",
                                              f"alert acknowledged by text: {oldest}"]

    clock.advance(minutes=20)  # acknowledged: nothing more is texted, and the report shows who
    app.desk.watch.evaluate()
    assert len([m for m in twilio.messages if m["to"] == OWNER]) == len(raised)
    report = app.desk.watch.report().as_json()
    assert {a["id"]: a["acked_by"] for a in report["alerts"]}[newest] == "Olga"


def test_an_ack_of_no_such_alert_is_taken_and_changes_nothing(app, twilio, clock):
    texted_alerts(app, twilio, clock)
    assert reply(app, twilio, OWNER, "ACK 999") == 200
    assert all(a.acked_at is None for a in app.store.reliability.alerts())
    [row] = [r for r in app.store.inbox.get_many(range(1, 50)) if r.platform == SMS_PLATFORM]
    assert (row.state, row.reason) == (InboxState.DONE, "an acknowledgement by text, but there is no such alert")
