"""Each failure state drives the health report (the view's read, ``health --json``), the alerts (raised once,
cleared, acknowledged, resolved, texted to the owners after N minutes) and the daily sample audit, against the
in-memory calendars and messenger."""

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.models import SyncState
from receptionist.errors import AuthError, TransientError, UserError
from receptionist.store import tables as t
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.fakes import FakeCalendar, FakeMessenger
from tests.helpers.payloads import payload

G, O = "google:primary", "outlook:default"
LABELS = {G: "Google Calendar", O: "Outlook"}
OWNER = "+13125550199"


@pytest.fixture
def profile() -> Profile:
    return Profile.from_dict({"people": {"members": [{"name": "Olga", "role": "owner", "phone": OWNER},
                                                     {"name": "amy"}]},
                              "ingest": {"platform": "vapi"}})


@pytest.fixture
def cals():
    return FakeCalendar(kind="google"), FakeCalendar(kind="outlook")


@pytest.fixture
def messenger():
    return FakeMessenger()


@pytest.fixture
def engine(store, profile, clock, cals, messenger):
    g, o = cals
    return SyncEngine(store, profile, [CalendarTarget(G, g, "primary", LABELS[G]), CalendarTarget(O, o, "", LABELS[O])],
                      messenger=messenger, bus=events.EventBus(), clock=clock, rng=random.Random(1))


@pytest.fixture
def desk(store, profile, clock, engine):
    return make_desk(store, profile, events.EventBus(), LABELS, clock=clock, engine=engine, sms_enabled=True)


def approve(desk, store, clock, start):
    call = store_payload(store, payload(requested_start=start), desk.context.rules, clock())
    return desk.bookings.approve(call.proposal.id, call.proposal.version, actor="Olga")


def conn(report, key):
    return next(c for c in report.connections if c.key == key)


def texts_to_owner(messenger):
    return [m for m in messenger.sent if m.to == OWNER]


def test_a_healthy_desk_reports_every_connection_ok_with_its_numbers(desk, store, clock, engine):
    approve(desk, store, clock, "2026-11-24T10:30:00")
    engine.run_cycle()
    report = desk.watch.report()
    google = conn(report, G)
    assert google.state == "ok" and google.problems == ()
    facts = dict(google.facts)
    assert facts["Writes, 24 hours"] == "100.0% of 1 (objective 99.5%)"
    assert "100% of the error budget left" in facts["Writes, 7 days"]
    assert facts["Last good push"] != "never" and facts["Last good pull"] != "never"
    assert {c.kind for c in report.connections} == {"calendar", "platform", "twilio", "webhook"}
    as_json = report.as_json()
    assert as_json["ok"] and as_json["objective"] == "99.5% of writes Synced within 5 minutes"
    assert conn(report, G).as_json()["writes_24h"] == {"good": 1, "total": 1, "success": 1.0}
    assert desk.watch.evaluate() == [] and report.escalation.startswith("An alert nobody acknowledges within 15")


def test_a_fast_burn_raises_one_alert_texts_the_owner_after_15_minutes_once_and_clears(desk, store, clock, engine,
                                                                                       cals, messenger):
    for hour in (9, 10, 11):
        approve(desk, store, clock, f"2026-11-24T{hour}:00:00")
    cals[0].fail_next = [TransientError("backend error", status=503)] * 3
    engine.run_cycle()
    report = desk.watch.report()
    google = conn(report, G)
    assert google.state == "failed" and google.problems[:2] == ("budget-fast", "budget-slow")
    assert google.numbers["burn"]["fast"]["firing"] and "faster than the error budget allows" in google.text
    assert report.failed == [G] and "budget-fast" in google.as_json()["runbook"]
    raised = desk.watch.evaluate()
    assert [a.key for a in raised] == ["budget-fast:google:primary", "budget-slow:google:primary"]
    assert desk.watch.evaluate() == []  # de-duplicated: the condition goes on, the alert is the same one
    assert len(store.reliability.alerts(open_only=True)) == 2
    assert texts_to_owner(messenger) == []
    clock.advance(minutes=16)
    cals[0].fail_next = [TransientError("backend error", status=503)] * 3  # still failing
    engine.run_cycle()
    desk.watch.evaluate()
    assert len(texts_to_owner(messenger)) == 2 and "Google Calendar" in texts_to_owner(messenger)[0].body
    desk.watch.evaluate()
    assert len(texts_to_owner(messenger)) == 2  # each alert is texted once
    clock.advance(minutes=10)  # Google is back: the writes land and the 5-minute window is clean
    engine.run_cycle()
    assert all(link.state is SyncState.SYNCED for a in store.appointments.between() for link in a.links)
    desk.watch.evaluate()  # they landed late (26 minutes after the change): still burning
    assert len(store.reliability.alerts(open_only=True)) == 2
    clock.advance(minutes=6)  # the hour's rate is still high, but the last 5 minutes are clean: the fast burn clears
    desk.watch.evaluate()
    assert [a.state for a in store.reliability.alerts(open_only=True)] == ["budget-slow"]
    clock.advance(minutes=25)  # and the slow one once 30 minutes are clean
    desk.watch.evaluate()
    assert store.reliability.alerts(open_only=True) == []
    assert [a.resolved_by for a in store.reliability.alerts()] == ["health check", "health check"]
    with store.session() as s:
        audited = list(s.scalars(select(t.AuditEntry.action).where(t.AuditEntry.entity == "alert")))
    assert audited.count("alert_raised") == 2 and audited.count("alert_cleared") == 2


def test_an_acknowledged_alert_is_not_texted_and_resolving_is_audited_and_not_reraised(desk, store, clock, engine,
                                                                                        cals, messenger):
    approve(desk, store, clock, "2026-11-24T10:30:00")
    cals[0].fail_next = [AuthError("invalid_grant")]
    engine.run_cycle()
    report = desk.watch.report()
    assert conn(report, G).problems[0] == "reconnect" and conn(report, G).state == "failed"
    [alert] = [a for a in desk.watch.evaluate() if a.state == "reconnect"]
    desk.watch.acknowledge(alert.id, actor="Olga")
    clock.advance(minutes=20)
    desk.watch.evaluate()
    assert texts_to_owner(messenger) == []
    done = desk.watch.resolve(alert.id, actor="Olga")
    assert done.resolved_by == "Olga" and not done.open
    desk.watch.evaluate()  # still signed out: resolved by a person, not raised again while it goes on
    assert [a for a in store.reliability.alerts(open_only=True) if a.state == "reconnect"] == []
    with store.session() as s:
        audited = list(s.execute(select(t.AuditEntry.actor, t.AuditEntry.action).where(t.AuditEntry.entity == "alert",
                                                                                       t.AuditEntry.actor == "Olga")))
    assert audited == [("Olga", "alert_acknowledged"), ("Olga", "alert_resolved")]
    with pytest.raises(UserError, match="no alert 999"):
        desk.watch.acknowledge(999, actor="Olga")


def test_a_failed_text_is_shown_on_the_alert(desk, store, clock, engine, cals, messenger):
    approve(desk, store, clock, "2026-11-24T10:30:00")
    cals[0].fail_next = [AuthError("invalid_grant")]
    engine.run_cycle()
    desk.watch.evaluate()
    clock.advance(minutes=16)
    messenger.fail_next = [TransientError("Twilio answered 500")]
    desk.watch.evaluate()
    [alert] = [a for a in store.reliability.alerts(open_only=True) if a.state == "reconnect"]
    assert alert.texted_at is not None and "500" in alert.text_error


def test_a_google_testing_mode_sign_in_is_forecast_and_alerts_before_it_ends(store, clock, engine, cals):
    profile = Profile.from_dict({"health": {"google_testing_mode": True}})
    desk = make_desk(store, profile, events.EventBus(), LABELS, clock=clock, engine=engine)
    store.health.reopen(G, clock() - timedelta(days=6, hours=2))
    google = conn(desk.watch.report(), G)
    assert google.problems == ("token-expiring",) and google.state == "warning"
    assert "ends in 22 hours" in google.text and google.numbers["sign_in"]["state"] == "expiring"
    [alert] = desk.watch.evaluate()
    assert alert.key == "token-expiring:google:primary" and "7 days" in alert.text
    assert conn(desk.watch.report(), O).numbers["sign_in"]["state"] == "unknown"
    clock.advance(days=1)
    assert conn(desk.watch.report(), G).problems == ("reconnect",)


def add_deliveries(store, platform, times):
    with store.session() as s:
        s.execute(insert(t.InboxDelivery), [
            {"platform": platform, "dedupe_key": f"{platform}-{i}", "source": "webhook", "received_at": at,
             "url": "/webhooks/" + platform, "headers": {}, "body": b"{}", "state": "done", "attempts": 1}
            for i, at in enumerate(times)])
        s.commit()


def weekday_hours(now: datetime, zone, hours=(9, 10, 11, 12, 13, 14, 15, 16), weeks=5) -> list[datetime]:
    out, day = [], (now - timedelta(weeks=weeks)).astimezone(zone).date()
    while day < now.astimezone(zone).date():
        if day.weekday() < 5:
            out += [datetime(day.year, day.month, day.day, h, 20, tzinfo=zone).astimezone(timezone.utc) for h in hours]
        day += timedelta(days=1)
    return out


def test_a_platform_silent_through_its_usual_hours_fails_and_alerts(desk, store, clock):
    zone = desk.context.rules.zone
    clock.advance(hours=4)  # Monday 1 p.m. in Chicago: nothing today, though 9–12 usually bring one an hour
    add_deliveries(store, "vapi", weekday_hours(clock(), zone))
    vapi = conn(desk.watch.report(), "platform:vapi")
    assert vapi.state == "failed" and vapi.problems == ("silent",)
    assert "silent" in vapi.text and dict(vapi.facts)["Deliveries, last hour"] == "0 (usually 1.0 at this hour)"
    [alert] = desk.watch.evaluate()
    assert alert.key == "silent:platform:vapi"
    with store.session() as s:
        s.execute(insert(t.InboxDelivery), [{"platform": "vapi", "dedupe_key": "today", "source": "webhook",
                                             "received_at": clock() - timedelta(minutes=3), "url": "/", "headers": {},
                                             "body": b"{}", "state": "quarantined", "attempts": 1}])
        s.commit()
    vapi = conn(desk.watch.report(), "platform:vapi")
    assert vapi.problems == ("quarantine",) and vapi.state == "warning" and vapi.numbers["last_hour"] == 1
    desk.watch.evaluate()
    assert store.reliability.alerts(open_only=True) == []  # it spoke again: cleared


def test_a_new_platform_is_learning_not_silent(desk, store, clock):
    add_deliveries(store, "vapi", [clock() - timedelta(days=2)])
    vapi = conn(desk.watch.report(), "platform:vapi")
    assert vapi.state == "ok" and "learning" in vapi.text


def test_the_sample_audit_reads_back_synced_events_and_a_changed_one_becomes_drift(desk, store, clock, engine, cals):
    appts = [approve(desk, store, clock, f"2026-11-24T{h}:00:00") for h in (9, 10, 11)]
    engine.run_cycle()
    [event] = cals[0].live(appts[1].id)
    cals[0].events[event.remote_id] = event.__class__(**{**event.__dict__, "title": "Changed by hand"})
    results = {r.calendar: r for r in desk.watch.sample_audit(seed=3)}
    assert (results[G].checked, results[G].mismatched) == (3, 1) and results[O].mismatched == 0
    assert {a.id: {k: v.state for k, v in {link.calendar: link for link in a.links}.items()}[G]
            for a in store.appointments.between()}[appts[1].id] is SyncState.DRIFT
    google = conn(desk.watch.report(), G)
    assert google.problems[:1] in (("drift",), ("audit-mismatch",)) and "audit-mismatch" in google.problems
    assert "1 differed (now Drift)" in dict(google.facts)["Sample audit"]
    assert any(a.key == "audit-mismatch:google:primary" for a in desk.watch.evaluate())


def test_twilio_and_webhook_failures_are_connections_too(store, clock, engine):
    desk = make_desk(store, Profile(), events.EventBus(), LABELS, clock=clock, engine=engine, sms_enabled=True,
                     problems={"twilio": "Twilio refused the auth token."})
    twilio = conn(desk.watch.report(), "twilio")
    assert twilio.state == "failed" and twilio.problems == ("sms-error",) and "auth token" in twilio.text
    assert conn(desk.watch.report(), "webhook").state == "off"
    assert desk.watch.report().escalation.startswith("Alerts are not texted: no owner has a phone")


def test_a_person_is_checked_against_the_profile_when_deciding(desk, store, clock, engine, cals):
    approve(desk, store, clock, "2026-11-24T10:30:00")
    cals[0].fail_next = [AuthError("invalid_grant")]
    engine.run_cycle()
    [alert] = [a for a in desk.watch.evaluate() if a.state == "reconnect"]
    with pytest.raises(UserError):
        desk.watch.acknowledge(alert.id, actor="Mallory")


def outcome_rows(store):
    with store.session() as s:
        return list(s.execute(select(t.WriteOutcome.calendar, t.WriteOutcome.appointment_id, t.WriteOutcome.owed_at,
                                     t.WriteOutcome.delay_seconds)))


def test_old_outcomes_are_forgotten_after_8_days(desk, store, clock, engine, cals):
    approve(desk, store, clock, "2026-11-24T10:30:00")
    engine.run_cycle()
    assert len(outcome_rows(store)) == 2
    clock.advance(days=9)
    desk.watch.evaluate()
    assert outcome_rows(store) == []


def test_a_calendar_connected_later_counts_its_first_writes_from_then(store, clock, engine, cals, desk):
    appt = approve(desk, store, clock, "2026-11-24T10:30:00")
    with store.session() as s:
        s.add(t.ConnectionMark(connection=G, first_seen_at=clock() + timedelta(hours=2)))
        s.commit()
    clock.advance(hours=2, minutes=1)
    engine.run_cycle()
    [g] = [row for row in outcome_rows(store) if row.calendar == G]
    assert g.owed_at == clock() - timedelta(minutes=1) and g.delay_seconds == 60 and g.appointment_id == appt.id


def test_each_alert_says_its_own_window(desk, store, clock, engine, cals):
    for hour in (9, 10, 11):
        approve(desk, store, clock, f"2026-11-24T{hour}:00:00")
    cals[0].fail_next = [TransientError("backend error", status=503)] * 3
    engine.run_cycle()
    texts = {a.state: a.text for a in desk.watch.evaluate()}
    assert "writes in the last hour failed" in texts["budget-fast"]
    assert "writes in the last 6 hours failed" in texts["budget-slow"]
    assert conn(desk.watch.report(), G).as_json()["reasons"]["budget-slow"] == texts["budget-slow"].split(": ", 1)[1]
