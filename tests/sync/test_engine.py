"""The sync engine against in-memory calendars with switchable faults."""

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from receptionist import events
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import SyncState
from receptionist.errors import AuthError, ConflictError, RateLimited, TransientError
from receptionist.sync.backoff import retry_delay
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.fakes import FakeCalendar, FakeMessenger
from tests.helpers.payloads import payload
from receptionist.domain.payload import normalise, parse_payload
from receptionist.services import location_rules


@pytest.fixture
def cals():
    return FakeCalendar(kind="google"), FakeCalendar(kind="outlook")


@pytest.fixture
def engine(store, profile, clock, cals):
    g, o = cals
    targets = [CalendarTarget("google:primary", g, "primary", "Google Calendar"),
               CalendarTarget("outlook:default", o, "", "Outlook")]
    return SyncEngine(store, profile, targets, messenger=FakeMessenger(), bus=events.EventBus(), clock=clock,
                      rng=random.Random(1))


def approve(store, profile, clock, **kw):
    capture = normalise(parse_payload(payload(**kw)), location_rules(profile), clock())
    call, _ = store.record_call(capture, {}, clock())
    p = call.proposal
    draft = BookingDraft(p.caller_name, p.callback_number, p.service, p.start, p.duration_minutes, p.notes)
    return store.approve_proposal(p.id, draft, p.version, ["google:primary", "outlook:default"], "amy", clock(),
                                  [("sms.confirmation", {"to": p.callback_number, "body": "confirmed"})])


def states(store, appt_id):
    return {link.calendar: link.state for link in store.get_appointment(appt_id).links}


def test_approved_appointment_is_pushed_read_back_and_synced(store, profile, clock, engine, cals):
    appt = approve(store, profile, clock)
    report = engine.run_cycle()
    assert report.ok and report.pushed == 2 and report.messages_sent == 1
    assert states(store, appt.id) == {"google:primary": SyncState.SYNCED, "outlook:default": SyncState.SYNCED}
    for cal in cals:
        [event] = [e for e in cal.events.values() if e.uid == appt.id]
        assert event.start == appt.start and event.title == "Teeth cleaning — Maria Lopez"
        assert "(312) 555-0142" in event.description
    assert cals[0].calls[:2] == ["create", "get"]  # write, then read back
    assert engine.run_cycle().pushed == 0  # nothing owed any more


def test_one_calendar_failing_does_not_stop_the_other(store, profile, clock, engine, cals):
    appt = approve(store, profile, clock)
    cals[0].fail_next = [TransientError("503 backend error", status=503)]
    report = engine.run_cycle()
    assert report.pushed == 1 and report.failed == 1 and not report.ok
    link = {x.calendar: x for x in store.get_appointment(appt.id).links}
    assert link["outlook:default"].state is SyncState.SYNCED
    g = link["google:primary"]
    assert g.state is SyncState.FAILED and "503 backend error" in g.last_error and "retrying at" in g.last_error
    assert g.attempts == 1 and g.next_attempt_at > clock()
    assert "503" in engine.health["google:primary"].last_error  # the pull after it answered, so ok again
    assert engine.health["outlook:default"].last_error is None
    # not due yet
    assert engine.run_cycle().pushed == 0
    clock.advance(seconds=5)
    assert engine.run_cycle().pushed == 1
    assert states(store, appt.id)["google:primary"] is SyncState.SYNCED


def test_retry_after_is_honoured(store, profile, clock, engine, cals):
    appt = approve(store, profile, clock)
    cals[0].fail_next = [RateLimited("429", status=429, retry_after=120)]
    engine.run_cycle()
    g = next(x for x in store.get_appointment(appt.id).links if x.calendar == "google:primary")
    assert g.next_attempt_at - clock() >= timedelta(seconds=120)
    assert "rate-limiting" in g.last_error


def test_write_that_lands_wrong_is_a_failure(store, profile, clock, engine, cals):
    appt = approve(store, profile, clock)
    cals[0].mangle = lambda e: replace(e, start=e.start + timedelta(hours=1))  # a server shifting the time
    engine.run_cycle()
    g = next(x for x in store.get_appointment(appt.id).links if x.calendar == "google:primary")
    assert g.state is SyncState.FAILED and "read back different" in g.last_error and "start is" in g.last_error
    cals[0].mangle = None
    clock.advance(seconds=10)
    engine.run_cycle()  # the retry updates the existing event (remote id kept), and now it reads back right
    assert states(store, appt.id)["google:primary"] is SyncState.SYNCED
    assert len([e for e in cals[0].events.values() if e.uid == appt.id]) == 1


def test_conflict_and_auth_errors_are_surfaced(store, profile, clock, engine, cals):
    appt = approve(store, profile, clock)
    cals[0].fail_next = [ConflictError("412", status=412)]
    cals[1].fail_next = [AuthError("invalid_grant", status=401)]
    engine.run_cycle()
    links = {x.calendar: x for x in store.get_appointment(appt.id).links}
    assert links["google:primary"].state is SyncState.CONFLICT
    assert links["outlook:default"].state is SyncState.FAILED
    assert "reconnect" in links["outlook:default"].last_error


def test_gives_up_after_max_attempts_until_a_person_retries(store, profile, clock, engine, cals):
    appt = approve(store, profile, clock)
    max_attempts = profile.sync.max_attempts
    cals[0].fail_next = [TransientError("down")] * (max_attempts + 5)
    for _ in range(max_attempts + 2):
        engine.run_cycle()
        clock.advance(hours=1)
    g = next(x for x in store.get_appointment(appt.id).links if x.calendar == "google:primary")
    assert g.attempts == max_attempts and "gave up" in g.last_error
    cals[0].fail_next = []
    assert store.retry_links(clock()) == 1
    engine.run_cycle()
    assert states(store, appt.id)["google:primary"] is SyncState.SYNCED


def test_pull_caches_external_events_incrementally(store, profile, clock, engine, cals):
    g = cals[0]
    start = clock() + timedelta(days=1)
    g.add_external("dentist-lunch", "Lunch with rep", start, start + timedelta(hours=1))
    report = engine.pull()
    assert report.pulled["google:primary"] == 1
    assert [e.title for e in store.external_events(start - timedelta(days=1), start + timedelta(days=1))] == [
        "Lunch with rep"]
    g.add_external("oncall", "On call", start + timedelta(hours=2), start + timedelta(hours=3))
    g.delete_event("primary", "dentist-lunch", None)
    engine.pull()
    assert [e.title for e in store.external_events(start - timedelta(days=1), start + timedelta(days=1))] == [
        "On call"]


def test_backoff_grows_and_respects_retry_after():
    rng = random.Random(0)
    delays = [retry_delay(n, rng=rng) for n in range(1, 12)]
    assert delays[0] <= 2 and delays[-1] <= 900
    assert delays[5] > delays[0]
    assert retry_delay(1, retry_after=30, rng=rng) >= 30


def test_our_events_read_back_without_uid_are_still_recognised(store, profile, clock, engine, cals):
    """Graph delta answers carry no extended properties: our event must not show up as an external busy block."""
    appt = approve(store, profile, clock)
    engine.run_cycle()
    outlook = cals[1]
    remote_id = f"ev-{appt.id}"
    outlook.events[remote_id] = replace(outlook.events[remote_id], uid=None)  # as a delta read returns it
    outlook._changes.append(remote_id)
    engine.pull()
    cached = [e for e in store.external_events(appt.start, appt.end) if e.calendar == "outlook:default"]
    assert [e.uid for e in cached] == [appt.id]
    from receptionist.services import ConsoleService

    week = ConsoleService(store, profile, events.EventBus(), []).week(appt.start.date())
    assert all(e.uid != appt.id for e in week.external)
