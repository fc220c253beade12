"""One booking through every layer: signed webhook → proposal → approval → Google + Outlook (sandbox) → Synced."""

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from receptionist.domain.models import SyncState
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.helpers.payloads import payload, signed
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.e2e
CHICAGO = ZoneInfo("America/Chicago")


def next_weekday_local(hour: int, minute: int) -> datetime:
    day = datetime.now(CHICAGO).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute)


def as_instant(when: dict) -> datetime:
    text = when["dateTime"].rstrip("Z")
    value = datetime.fromisoformat(text)
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def test_signed_call_to_synced_events_in_both_calendars(e2e_app, stack):
    app = e2e_app
    local_start = next_weekday_local(10, 30)
    body = payload(call_id="e2e-1", requested_start=local_start.isoformat(), duration_minutes=45,
                   timestamp=datetime.now(timezone.utc).isoformat())
    raw, headers = signed(body, app.webhook_secret)
    r = requests.post(app.receiver.url, data=raw, headers=headers, timeout=5)
    assert r.status_code == 202

    call = wait_for(lambda: next(iter(app.desk.bookings.calls()), None))
    proposal = call.proposal
    expected_start = local_start.replace(tzinfo=CHICAGO).astimezone(timezone.utc)
    assert proposal.start == expected_start  # stored in UTC, read in the location's zone
    assert not [i for i in proposal.issues if i.severity.value == "error"]

    appt = app.desk.bookings.approve(proposal.id, proposal.version, actor="test-desk")
    assert {link.state for link in appt.links} == {SyncState.PENDING}
    report = app.sync_engine.run_cycle()
    assert report.ok, report
    assert report.messages_sent == 1

    appt = app.store.appointments.get(appt.id)
    assert {link.calendar: link.state for link in appt.links} == {
        "google:primary": SyncState.SYNCED, "outlook:default": SyncState.SYNCED}

    [g] = [e for e in stack.google.events(GOOGLE_ACCOUNT, "primary") if e["id"] == appt.id]
    assert g["summary"] == "Teeth cleaning — Maria Lopez"
    assert as_instant(g["start"]) == expected_start
    assert as_instant(g["end"]) == expected_start + timedelta(minutes=45)
    assert g["start"]["timeZone"] == "America/Chicago"
    assert "(312) 555-0142" in g["description"] and "ACC-10442" in g["description"]

    [o] = [e for e in stack.microsoft.events() if e.get("transactionId") == appt.id]
    assert o["subject"] == "Teeth cleaning — Maria Lopez"
    start_zone = ZoneInfo({"Central Standard Time": "America/Chicago"}.get(o["start"]["timeZone"],
                                                                            o["start"]["timeZone"]))
    o_start = datetime.fromisoformat(o["start"]["dateTime"][:19]).replace(tzinfo=start_zone)
    assert o_start.astimezone(timezone.utc) == expected_start
    assert "(312) 555-0142" in o["body"]["content"]

    [sms] = [m for m in stack.twilio.messages if m["to"] == "+13125550142" and "confirmed" in m["body"]]
    assert "Teeth cleaning" in sms["body"] and "10:30 AM" in sms["body"]


def test_sandbox_faults_fail_the_link_then_it_recovers(e2e_app, stack):
    from receptionist_sandbox.faults import Fault

    app = e2e_app
    local_start = next_weekday_local(15, 0)
    raw, headers = signed(payload(call_id="e2e-fault", requested_start=local_start.isoformat(),
                                  timestamp=datetime.now(timezone.utc).isoformat()), app.webhook_secret)
    assert requests.post(app.receiver.url, data=raw, headers=headers, timeout=5).status_code == 202
    call = wait_for(lambda: next((c for c in app.desk.bookings.calls() if c.call_id == "e2e-fault"), None))
    appt = app.desk.bookings.approve(call.proposal.id, call.proposal.version)
    stack.google.faults.add(Fault(status=429, retry_after=1), method="POST", path=r"/events$", times=1)
    app.sync_engine.run_cycle()
    links = {link.calendar: link for link in app.store.appointments.get(appt.id).links}
    assert links["google:primary"].state is SyncState.FAILED
    assert "rate" in links["google:primary"].last_error.lower()
    assert links["outlook:default"].state is SyncState.SYNCED
    health = {c.key: c for c in app.desk.health.calendars()}
    assert health["google:primary"].state == "throttled" and health["outlook:default"].state == "ok"
    app.desk.sync.retry(links["google:primary"].id)
    app.sync_engine.run_cycle()  # Google asked for 1 s: the whole calendar waits, the press of Retry included
    assert app.store.appointments.get(appt.id).links[0].state is SyncState.PENDING
    time.sleep(1.1)
    app.sync_engine.run_cycle()
    assert app.store.appointments.get(appt.id).links[0].state is SyncState.SYNCED
    assert len([e for e in stack.google.events(GOOGLE_ACCOUNT, "primary") if e["id"] == appt.id]) == 1
