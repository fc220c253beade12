"""The sync engine (pull → plan → apply per calendar) against in-memory calendars with switchable faults, driven
through the console service as the desk would."""

import random
import threading

from hypothesis import given, strategies as st
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from receptionist import events
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.domain.sync_plan import content_hash
from receptionist.errors import AuthError, ConflictError, RateLimited, TransientError, Unreachable
from tests.helpers.desk import make_desk
from receptionist.sync.backoff import retry_delay
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.calls import store_payload
from tests.helpers.fakes import FakeCalendar, FakeMessenger
from tests.helpers.payloads import payload
from tests.helpers.rows import audit_entries, outbox_items
from receptionist.services.checks import draft_of

G, O = "google:primary", "outlook:default"
LABELS = {G: "Google Calendar", O: "Outlook"}


@pytest.fixture
def cals():
    return FakeCalendar(kind="google"), FakeCalendar(kind="outlook")


@pytest.fixture
def messenger():
    return FakeMessenger()


@pytest.fixture
def targets(cals):
    g, o = cals
    return {G: CalendarTarget(G, g, "primary", LABELS[G]), O: CalendarTarget(O, o, "", LABELS[O])}


@pytest.fixture
def engine(store, profile, clock, targets, messenger):
    return SyncEngine(store, profile, list(targets.values()), messenger=messenger, bus=events.EventBus(),
                      clock=clock, rng=random.Random(1))


@pytest.fixture
def desk(store, profile, clock, engine):
    return make_desk(store, profile, events.EventBus(), LABELS, clock=clock, engine=engine, sms_enabled=True)


def approve(desk, store, clock, start="2026-11-24T10:30:00", **kw):
    call = store_payload(store, payload(requested_start=start, **kw), desk.context.rules, clock())
    return desk.bookings.approve(call.proposal.id, call.proposal.version, actor="amy")


def links(store, appt_id):
    return {link.calendar: link for link in store.appointments.get(appt_id).links}


def states(store, appt_id):
    return {k: v.state for k, v in links(store, appt_id).items()}


def synced(store, appt_id):
    return states(store, appt_id) == {G: SyncState.SYNCED, O: SyncState.SYNCED}


def ours(cal, appt_id):
    return cal.live(appt_id)


def at(hhmm: str, day: int = 24) -> datetime:
    """A local Chicago time on 11/day/2026, as UTC (CST = UTC-6)."""
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, h + 6, m, tzinfo=timezone.utc)


# --- push ----------------------------------------------------------------------------------------------------------

def test_approved_appointment_is_pushed_in_one_request_compared_and_synced(store, clock, engine, desk, cals, messenger):
    appt = approve(desk, store, clock)
    report = engine.run_cycle()
    assert report.ok and report.pushed == 2 and report.messages_sent == 1
    assert synced(store, appt.id)
    for cal in cals:
        [event] = ours(cal, appt.id)
        assert event.start == appt.start and event.title == "Teeth cleaning — Maria Lopez"
        assert "(312) 555-0142" in event.description
        assert cal.calls == ["changes", "create"]  # pull, write (its answer is what the calendar holds)
    assert [m.body for m in messenger.sent] == [desk.wording.confirmation(draft_of(
        store.proposals.get(1)))]
    again = engine.run_cycle()
    assert again.ok and again.pushed == 0


def test_one_calendar_failing_does_not_stop_the_other(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    cals[0].fail_next = [TransientError("backend error", status=503)]
    report = engine.run_cycle()
    assert report.pushed == 1 and report.failed == 1 and not report.ok
    g = links(store, appt.id)[G]
    assert links(store, appt.id)[O].state is SyncState.SYNCED
    assert g.state is SyncState.FAILED and "backend error" in g.last_error and "retrying at" in g.last_error
    assert g.attempts == 1 and g.next_attempt_at > clock()
    assert "backend error" in engine.health_of(G).last_error
    assert engine.health_of(O).last_error is None
    engine.run_cycle()  # not due yet
    assert links(store, appt.id)[G].attempts == 1 and cals[0].calls.count("create") == 1
    clock.advance(seconds=10)
    assert engine.run_cycle().pushed == 1 and synced(store, appt.id)
    assert len(ours(cals[0], appt.id)) == 1


def test_retry_after_pauses_every_request_to_that_calendar_and_the_other_goes_on(store, clock, engine, desk, cals):
    first = approve(desk, store, clock, start="2026-11-24T09:00:00")
    second = approve(desk, store, clock, start="2026-11-24T11:00:00")
    g, o = cals
    g.fail_next = [RateLimited("rate limit exceeded", status=429, retry_after=120)]
    report = engine.run_cycle()
    assert g.calls == ["changes", "create"]  # the second write was never tried
    assert not report.ok and report.waiting >= 1
    assert states(store, first.id)[O] is SyncState.SYNCED and states(store, second.id)[O] is SyncState.SYNCED
    health = engine.health_of(G)
    assert health.gate == "throttled" and health.paused_until == clock() + timedelta(seconds=120)
    assert "asked us to wait until" in health.pause_reason
    failed = links(store, first.id)[G]
    assert failed.state is SyncState.FAILED and failed.next_attempt_at >= clock() + timedelta(seconds=120)
    waiting = links(store, second.id)[G]
    assert waiting.state is SyncState.PENDING and "asked us to wait" in waiting.last_error
    assert [c.state for c in desk.health.calendars() if c.key == G] == ["throttled"]

    # a minute later: no request at all to Google (not even the pull); Outlook goes on
    clock.advance(seconds=60)
    g.calls.clear()
    o.calls.clear()
    desk.appointments.reschedule(first.id, at("13:00"))
    engine.run_cycle()
    assert g.calls == [] and "update" in o.calls
    # after Retry-After: pull, then every owed write
    clock.advance(seconds=61)
    report = engine.run_cycle()
    assert g.calls[0] == "changes" and g.calls.count("create") == 2
    assert synced(store, first.id) and synced(store, second.id) and report.ok
    assert [e.start for e in ours(g, first.id)] == [at("13:00")]


def test_refused_sign_in_needs_reconnect_and_is_not_retried_with_backoff(store, clock, engine, desk, cals):
    first = approve(desk, store, clock, start="2026-11-24T09:00:00")
    second = approve(desk, store, clock, start="2026-11-24T11:00:00")
    g = cals[0]
    g.fail_next = [AuthError("invalid_grant: Token has been expired or revoked.", status=400)]
    report = engine.run_cycle()
    assert not report.ok and report.waiting == 2
    assert engine.health_of(G).gate == "reconnect"
    for appt in (first, second):
        link = links(store, appt.id)[G]
        assert link.state is SyncState.RECONNECT and link.attempts == 0 and link.next_attempt_at is None
        assert "Reconnect" in link.last_error and "<" not in link.last_error  # a sentence, not a repr
    assert [c.state for c in desk.health.calendars() if c.key == G] == ["reconnect"]
    calls = len(g.calls)
    for _ in range(3):
        clock.advance(seconds=30)
        engine.run_cycle()
    assert len(g.calls) == calls  # not retried with backoff
    # the person reconnects (CalendarSignIn does this after the sign-in flow)
    assert store.health.reopen(G, clock()) == 2
    assert engine.run_cycle().ok
    assert synced(store, first.id) and synced(store, second.id)


def test_no_network_waits_without_counting_attempts(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.fail_next = [Unreachable("connection refused")]
    report = engine.run_cycle()
    assert not report.ok and report.waiting == 1 and report.failed == 0
    link = links(store, appt.id)[G]
    assert link.state is SyncState.PENDING and link.attempts == 0
    assert "waiting for network" in link.last_error
    assert engine.health_of(G).gate == "offline"
    # the pull itself finds no network: nothing is tried, nothing counted
    clock.advance(seconds=31)
    g.fail_reads = [Unreachable("network is unreachable")]
    g.calls.clear()
    report = engine.run_cycle()
    assert g.calls == ["changes"] and "network" in report.pull_errors[G]
    assert links(store, appt.id)[G].attempts == 0
    clock.advance(seconds=31)
    assert engine.run_cycle().ok and synced(store, appt.id)


def test_a_write_that_lands_wrong_is_failed_and_the_retry_is_an_update(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.mangle = lambda e: replace(e, start=e.start + timedelta(hours=1))  # a server shifting the time
    engine.run_cycle()
    link = links(store, appt.id)[G]
    assert link.state is SyncState.FAILED and "holds something else" in link.last_error
    assert "start is" in link.last_error
    g.mangle = None
    clock.advance(seconds=10)
    g.calls.clear()
    engine.run_cycle()
    assert "update" in g.calls and "create" not in g.calls  # the remote id was kept
    assert synced(store, appt.id)
    [event] = ours(g, appt.id)
    assert event.start == appt.start


def test_a_lost_answer_to_a_create_is_not_a_duplicate(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.lose_answers = [TransientError("connection reset by peer")]
    engine.run_cycle()
    assert links(store, appt.id)[G].state is SyncState.FAILED
    clock.advance(seconds=10)
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert len(ours(g, appt.id)) == 1


def test_a_lost_answer_to_an_update_is_checked_by_reading_not_a_false_conflict(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g = cals[0]
    desk.appointments.reschedule(appt.id, at("14:00"))
    g.lose_answers = [TransientError("connection reset by peer")]  # the update landed, its answer was lost
    engine.run_cycle()
    assert links(store, appt.id)[G].state is SyncState.FAILED
    clock.advance(seconds=10)
    g.fail_reads = [TransientError("backend error", status=500)]  # the pull misses it: the cache is old
    g.calls.clear()
    engine.run_cycle()
    assert g.calls[:3] == ["changes", "update", "get"]  # old etag → 412 → read it: it is ours
    link = links(store, appt.id)[G]
    assert link.state is SyncState.SYNCED, link.last_error
    assert link.etag == ours(g, appt.id)[0].etag
    assert [e.start for e in ours(g, appt.id)] == [at("14:00")]


def test_a_lost_answer_seen_by_the_pull_is_synced_without_a_write(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g = cals[0]
    desk.appointments.reschedule(appt.id, at("14:00"))
    g.lose_answers = [TransientError("connection reset by peer")]
    engine.run_cycle()
    clock.advance(seconds=10)
    g.calls.clear()
    engine.run_cycle()
    assert g.calls == ["changes"] and synced(store, appt.id)


# --- inbound: a person at the calendar ---------------------------------------------------------------------------

def test_a_person_moving_our_event_is_drift_with_the_difference(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g = cals[0]
    g.human_edit(f"ev-{appt.id}", start=at("15:00"), end=at("15:45"))
    report = engine.run_cycle()
    assert not report.ok and report.needs_person == 1
    link = links(store, appt.id)[G]
    assert link.state is SyncState.DRIFT and "changed on Google Calendar" in link.last_error
    assert link.diff == {"start": (at("10:30").isoformat(), at("15:00").isoformat()),
                         "end": (at("11:15").isoformat(), at("15:45").isoformat())}
    assert links(store, appt.id)[O].state is SyncState.SYNCED
    assert [e.start for e in ours(g, appt.id)] == [at("15:00")]  # nothing written back silently
    assert not engine.run_cycle().ok  # still waiting for a person: the badge never turns Synced by itself
    assert links(store, appt.id)[G].state is SyncState.DRIFT


def test_a_person_retitling_our_event_is_drift(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    cals[1].human_edit(f"ev-{appt.id}", title="Maria L. — bring X-rays")
    engine.run_cycle()
    link = links(store, appt.id)[O]
    assert link.state is SyncState.DRIFT
    assert link.diff == {"title": ("Teeth cleaning — Maria Lopez", "Maria L. — bring X-rays")}
    assert desk.sync.discrepancy(link.id).rows[0] == ("title", "Teeth cleaning — Maria Lopez", "Maria L. — bring X-rays",
                                                 True)


def test_a_person_deleting_our_event_is_drift_deleted(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    o = cals[1]
    o.human_delete(f"ev-{appt.id}")
    o.calls.clear()
    engine.run_cycle()
    link = links(store, appt.id)[O]
    assert link.state is SyncState.DRIFT and link.deleted_remotely
    assert link.last_error == "deleted on Outlook"
    assert "create" not in o.calls  # never silently re-created
    assert store.appointments.get(appt.id).status is AppointmentStatus.CONFIRMED  # nor silently cancelled


def test_both_sides_changed_is_a_conflict(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g = cals[0]
    g.human_edit(f"ev-{appt.id}", start=at("15:00"), end=at("15:45"))
    desk.appointments.reschedule(appt.id, at("13:00"))
    g.calls.clear()
    engine.run_cycle()
    link = links(store, appt.id)[G]
    assert link.state is SyncState.CONFLICT and "changed here and on Google Calendar" in link.last_error
    assert "update" not in g.calls
    assert links(store, appt.id)[O].state is SyncState.SYNCED  # Outlook took our move
    assert [e.start for e in ours(cals[1], appt.id)] == [at("13:00")]


def test_keep_ours_on_a_moved_event_pushes_ours_again(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g = cals[0]
    g.human_edit(f"ev-{appt.id}", start=at("15:00"), end=at("15:45"))
    engine.run_cycle()
    desk.sync.keep_ours(links(store, appt.id)[G].id, actor="amy")
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert [e.start for e in ours(g, appt.id)] == [appt.start]
    assert any(e["action"] == "sync.keep_ours" and e["actor"] == "amy" for e in audit_entries(store))


def test_keep_ours_on_a_deleted_event_recreates_it(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    o = cals[1]
    o.human_delete(f"ev-{appt.id}")
    engine.run_cycle()
    desk.sync.keep_ours(links(store, appt.id)[O].id)
    assert engine.run_cycle().ok and synced(store, appt.id)
    [event] = ours(o, appt.id)
    assert event.start == appt.start and links(store, appt.id)[O].remote_id == event.remote_id


def test_take_theirs_on_a_move_moves_the_appointment_and_the_other_calendar(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g, o = cals
    g.human_edit(f"ev-{appt.id}", start=at("15:00"), end=at("15:45"))
    engine.run_cycle()
    moved = desk.sync.take_theirs(links(store, appt.id)[G].id, actor="amy")
    assert moved.start == at("15:00") and moved.end == at("15:45")
    g.calls.clear()
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert "update" not in g.calls  # already holds it
    assert [e.start for e in ours(o, appt.id)] == [at("15:00")]


def test_take_theirs_on_a_retitle_keeps_their_title(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g, o = cals
    g.human_edit(f"ev-{appt.id}", title="Maria — bring X-rays")
    engine.run_cycle()
    changed = desk.sync.take_theirs(links(store, appt.id)[G].id)
    assert changed.title_override == "Maria — bring X-rays"
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert [e.title for e in ours(o, appt.id)] == ["Maria — bring X-rays"]


def test_take_theirs_on_a_deletion_cancels_and_deletes_from_the_other(store, clock, engine, desk, cals, messenger):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g, o = cals
    g.human_delete(f"ev-{appt.id}")
    engine.run_cycle()
    cancelled = desk.sync.take_theirs(links(store, appt.id)[G].id, notify=True, actor="amy")
    assert cancelled.status is AppointmentStatus.CANCELLED and "accepted by amy" in cancelled.cancel_reason
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert ours(o, appt.id) == [] and ours(g, appt.id) == []
    assert "is cancelled" in messenger.sent[-1].body


# --- our own changes ---------------------------------------------------------------------------------------------

def test_reschedule_edit_and_cancel_become_update_and_delete_on_both(store, clock, engine, desk, cals, messenger):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    desk.appointments.reschedule(appt.id, at("14:00"), notify=True)
    for cal in cals:
        cal.calls.clear()
    assert engine.run_cycle().ok and synced(store, appt.id)
    for cal in cals:
        assert cal.calls == ["changes", "update"]
        [event] = ours(cal, appt.id)
        assert event.start == at("14:00") and event.end == at("14:45")
    assert "is now on" in messenger.sent[-1].body

    desk.appointments.edit(appt.id, service="Whitening", duration_minutes=60, notes="Sensitive teeth")
    assert engine.run_cycle().ok and synced(store, appt.id)
    for cal in cals:
        [event] = ours(cal, appt.id)
        assert event.title == "Whitening — Maria Lopez" and event.end == at("15:00")
        assert "Sensitive teeth" in event.description

    desk.appointments.cancel(appt.id, "caller moved away")
    for cal in cals:
        cal.calls.clear()
    assert engine.run_cycle().ok and synced(store, appt.id)
    for cal in cals:
        assert "delete" in cal.calls and ours(cal, appt.id) == []
    kept = store.appointments.get(appt.id)
    assert kept.status is AppointmentStatus.CANCELLED and kept.cancel_reason == "caller moved away"
    assert [a.id for a in store.appointments.between(include_cancelled=True)] == [appt.id]
    assert engine.run_cycle().pushed == 0  # nothing more to do


def test_cancel_before_the_first_push_writes_nothing(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    desk.appointments.cancel(appt.id)
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert all("create" not in cal.calls for cal in cals)


# --- the mass-deletion guard -------------------------------------------------------------------------------------

def six(desk, store, clock):
    return [approve(desk, store, clock, start=f"2026-11-{day}T{hour}:00:00")
            for day in (24, 25) for hour in ("09", "11", "14")]


def emptied(store, clock, engine, desk, cals):
    appts = six(desk, store, clock)
    engine.run_cycle()
    g = cals[0]
    g.empty()
    g.calls.clear()
    report = engine.run_cycle()
    return appts, report


def test_an_emptied_calendar_holds_writes_and_asks_once(store, clock, engine, desk, cals):
    appts, report = emptied(store, clock, engine, desk, cals)
    g, o = cals
    assert not report.ok and g.calls == ["changes"]  # no write, not even a read of each event
    for appt in appts:
        link = links(store, appt.id)[G]
        assert link.state is SyncState.DRIFT and link.deleted_remotely and "deleted on Google Calendar" in \
            link.last_error
        assert links(store, appt.id)[O].state is SyncState.SYNCED
    [health] = [c for c in desk.health.calendars() if c.key == G]
    assert health.state == "held" and "6 of our 6 events vanished" in health.text
    # held: our own change goes to Outlook only
    desk.appointments.reschedule(appts[0].id, at("16:00"))
    g.calls.clear()
    engine.run_cycle()
    assert g.calls == ["changes"] and synced_on(store, appts[0].id, O)
    assert links(store, appts[0].id)[G].state is SyncState.DRIFT


def synced_on(store, appt_id, key):
    return links(store, appt_id)[key].state is SyncState.SYNCED


def test_mass_deletion_recreate_all(store, clock, engine, desk, cals):
    appts, _ = emptied(store, clock, engine, desk, cals)
    assert desk.sync.resolve_mass_deletion(G, recreate=True, actor="amy") == 6
    assert engine.run_cycle().ok
    g = cals[0]
    for appt in appts:
        assert synced(store, appt.id)
        [event] = ours(g, appt.id)
        assert event.start == store.appointments.get(appt.id).start
    assert [c.state for c in desk.health.calendars() if c.key == G] == ["ok"]


def test_mass_deletion_accepted_cancels_them_everywhere(store, clock, engine, desk, cals):
    appts, _ = emptied(store, clock, engine, desk, cals)
    assert desk.sync.resolve_mass_deletion(G, recreate=False, actor="amy") == 6
    assert engine.run_cycle().ok
    for appt in appts:
        record = store.appointments.get(appt.id)
        assert record.status is AppointmentStatus.CANCELLED and synced(store, appt.id)
        assert ours(cals[1], appt.id) == []
    assert not {"create", "update", "delete"} & set(cals[0].calls)  # nothing re-created, nothing to delete there


# --- calendars not connected, bugs in an adapter ------------------------------------------------------------------

def test_an_enabled_calendar_not_connected_waits_for_sign_in_then_is_pushed(store, profile, clock, desk, targets):
    engine = SyncEngine(store, profile, [targets[G]], calendars=LABELS, messenger=FakeMessenger(),
                        clock=clock, rng=random.Random(1))
    desk.sync_engine = engine
    appt = approve(desk, store, clock)
    report = engine.run_cycle()
    assert not report.ok and report.waiting == 1 and O in report.pull_errors
    link = links(store, appt.id)[O]
    assert link.state is SyncState.RECONNECT and link.last_error == "waiting for sign-in to Outlook"
    assert desk.health.status()["appointments"][0]["sync"][O]["state"] == "reconnect"
    assert synced_on(store, appt.id, G)
    engine.targets[O] = targets[O]  # connected (CalendarSignIn)
    store.health.reopen(O, clock())
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert len(ours(targets[O].provider, appt.id)) == 1


def test_a_bug_in_one_adapter_fails_that_link_and_everything_else_goes_on(store, clock, engine, desk, cals,
                                                                          messenger):
    first = approve(desk, store, clock, start="2026-11-24T09:00:00")
    second = approve(desk, store, clock, start="2026-11-24T11:00:00")
    g = cals[0]
    g.fail_next = [KeyError("dateTime")]
    report = engine.run_cycle()
    link = links(store, first.id)[G]
    assert link.state is SyncState.FAILED
    assert "something unexpected went wrong (KeyError); the log has the details" in link.last_error
    assert synced_on(store, second.id, G) and synced_on(store, first.id, O) and synced_on(store, second.id, O)
    assert report.messages_sent == 2 and len(messenger.sent) == 2 and not report.ok


def test_a_bug_in_a_pull_stops_only_that_calendar(store, clock, engine, desk, cals, messenger):
    appt = approve(desk, store, clock)
    cals[1].fail_reads = [ZeroDivisionError("division by zero")]
    report = engine.run_cycle()
    assert "something unexpected went wrong (ZeroDivisionError)" in report.pull_errors[O] and not report.ok
    assert synced_on(store, appt.id, G) and report.messages_sent == 1
    assert engine.run_cycle().ok and synced(store, appt.id)


class Paged:
    """A calendar whose listing comes in pages of two (as Google's and Graph's do), the next page fetched while the
    engine caches the one before; ``drop_after_first`` fails the fetch of the second page once."""

    def __init__(self, calendar: FakeCalendar):
        self.calendar, self.drop_after_first = calendar, None

    def __getattr__(self, name):
        return getattr(self.calendar, name)

    def read_changes(self, calendar_id, cursor, start, end):
        batch = self.calendar.list_changes(calendar_id, cursor, start, end)
        events = batch.events
        for first in range(0, max(len(events), 1), 2):
            if first and self.drop_after_first is not None:
                failure, self.drop_after_first = self.drop_after_first, None
                raise failure
            last = first + 2 >= len(events)
            yield replace(batch, events=events[first:first + 2], deleted_ids=batch.deleted_ids if last else [],
                          cursor=batch.cursor if last else None)


def test_a_listing_dropped_between_pages_keeps_what_it_cached_and_reads_again_from_the_old_cursor(
        store, profile, clock, cals):
    outlook = Paged(cals[1])
    engine = SyncEngine(store, profile, [CalendarTarget(O, outlook, "", LABELS[O])], bus=events.EventBus(),
                        clock=clock, rng=random.Random(1))
    assert engine.run_cycle().ok
    cursor = store.cache.cursor(O)[0]
    for hour in range(5):
        cals[1].add_external(f"busy-{hour}", f"Busy {hour}", at(f"{9 + hour}:00"), at(f"{9 + hour}:30"))
    outlook.drop_after_first = TransientError("Outlook closed the connection mid-answer", status=None)

    report = engine.run_cycle()

    assert "closed the connection" in report.pull_errors[O]
    assert set(store.cache.by_remote_id(O, [f"busy-{h}" for h in range(5)])) == {"busy-0", "busy-1"}
    assert store.cache.cursor(O)[0] == cursor  # nothing after the first page is taken as read
    clock.advance(minutes=1)
    report = engine.run_cycle()
    assert not report.pull_errors and report.pulled[O] == 5
    assert len(store.cache.by_remote_id(O, [f"busy-{h}" for h in range(5)])) == 5
    assert store.cache.cursor(O)[0] != cursor


def test_cycle_is_not_ok_while_a_link_waits_for_a_person_or_a_retry(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    cals[0].human_delete(f"ev-{appt.id}")
    assert not engine.run_cycle().ok
    assert not engine.run_cycle().ok  # the next cycle too: the Drift is still there
    desk.sync.keep_ours(links(store, appt.id)[G].id)
    cals[0].fail_next = [TransientError("backend error", status=500)]
    assert not engine.run_cycle().ok
    assert not engine.run_cycle().ok  # in backoff: still not ok
    clock.advance(minutes=5)
    assert engine.run_cycle().ok


# --- SMS ----------------------------------------------------------------------------------------------------------

def test_an_sms_answered_without_a_sid_is_not_recorded_as_sent(store, clock, engine, desk, messenger):
    approve(desk, store, clock)
    messenger.blank_sid_next = 1
    report = engine.run_cycle()
    assert report.messages_sent == 0 and report.message_errors == 1 and not report.ok
    [item] = outbox_items(store)
    assert item["done_at"] is None and item["sending_at"] is not None and "without a message id" in item["last_error"]
    clock.advance(minutes=10)
    report = engine.run_cycle()
    assert report.messages_sent == 1 and len(messenger.sent) == 1  # found, not sent again
    [item] = outbox_items(store)
    assert item["done_at"] is not None and item["provider_id"] == messenger.sent[0].sid


def test_a_crash_between_sending_and_done_checks_before_sending_again(store, clock, engine, desk, messenger):
    approve(desk, store, clock)
    [(message_id, _, body, _, _)] = store.outbox.due(clock())
    # the process sent it and died before recording it
    store.outbox.sending(message_id, clock())
    messenger.send_sms(body["to"], body["body"])
    report = engine.run_cycle()
    assert report.messages_sent == 1 and len(messenger.sent) == 1 and messenger.lookups == 1
    assert outbox_items(store)[0]["done_at"] is not None


def test_a_crash_before_sending_sends_once(store, clock, engine, desk, messenger):
    approve(desk, store, clock)
    [(message_id, *_)] = store.outbox.due(clock())
    store.outbox.sending(message_id, clock())  # marked, then the process died before asking Twilio
    engine.run_cycle()
    assert len(messenger.sent) == 1 and messenger.lookups == 1


# --- our own event seen before we knew its id; reconciliation; a quiet cycle ---------------------------------------

def test_our_event_read_without_uid_is_never_a_phantom_busy_block(store, clock, engine, desk, cals):
    """Graph delta answers carry no extended properties, and the pull may see our event before the create's answer
    is saved: it must not stay an external busy block beside the appointment."""
    appt = approve(desk, store, clock)
    o = cals[1]
    o.lose_answers = [TransientError("connection reset by peer")]  # created; we never learnt its id
    engine.run_cycle()
    remote_id = f"ev-{appt.id}"
    o.events[remote_id] = replace(o.events[remote_id], uid=None)  # as a delta read returns it
    o._changes.append(remote_id)
    clock.advance(seconds=1)
    engine.run_cycle()  # the pull caches it (no uid) before the retry creates... and finds it
    clock.advance(seconds=10)
    engine.run_cycle()
    assert synced(store, appt.id)
    cached = [e for e in store.cache.events_between(appt.start, appt.end) if e.calendar == O]
    assert [e.uid for e in cached] == [appt.id]
    week = desk.appointments.week(appt.start.date())
    assert all(e.uid != appt.id for e in week.external)
    assert [b.source for b in store.busy.blocks(appt.start, appt.end)] == ["appointment"]


def test_reconciliation_finds_drift_the_cursor_missed_and_rereads_a_sample(store, clock, engine, desk, cals):
    appts = six(desk, store, clock)
    engine.run_cycle()
    engine.run_cycle()  # reads back our own writes through the cursor
    g = cals[0]
    # a change the incremental cursor never reports (a service skewing or losing its change feed)
    rid = f"ev-{appts[2].id}"
    g.events[rid] = replace(g.events[rid], start=at("16:00", 24), end=at("16:45", 24), etag='"silent"')
    assert engine.run_cycle().ok  # the incremental cycle cannot see it
    g.calls.clear()
    results = engine.reconcile(seed=7)
    assert results[G]["events_read"] == 6 and results[G]["needs_person"] == 1
    assert results[G]["sample_checked"] == 5 and g.calls.count("list") == 1 and g.calls.count("get") == 5
    assert results[O]["needs_person"] == 0 and results[O]["sample_mismatched"] == 0
    link = links(store, appts[2].id)[G]
    assert link.state is SyncState.DRIFT and "start" in link.diff
    assert engine.health_of(G).reconcile_report["needs_person"] == 1


def moved_silently_on_a_calendar_reading_together(desk, store, clock, engine, cals):
    """Six appointments Synced on both calendars; Google reads its sample in one batch, and the third appointment's
    event was moved there with no change reported (the reconciliation's listing finds it). Returns (appts, Google)."""
    appts = six(desk, store, clock)
    engine.run_cycle()
    engine.run_cycle()
    g = cals[0]
    g.reads_together = True
    rid = f"ev-{appts[2].id}"
    g.events[rid] = replace(g.events[rid], start=at("16:00", 24), end=at("16:45", 24), etag='"silent"')
    return appts, g


def test_a_calendar_that_reads_together_reads_the_sample_while_it_lists(store, clock, engine, desk, cals):
    """Google and Outlook read the sample in one batch: it is picked before the listing and read on a worker
    thread while the window is listed. A sampled link the listing finds changed is planned from the listing (a
    newer copy than the sample's), once, and left out of the sample."""
    appts, g = moved_silently_on_a_calendar_reading_together(desk, store, clock, engine, cals)
    sample_asked = threading.Event()
    real_get, real_list = g.get_events, g.list_events

    def get_events(cal, remote_ids):
        sample_asked.set()
        return real_get(cal, remote_ids)

    def list_events(cal, start, end):  # the listing waits for the sample's read: they run at the same time
        assert sample_asked.wait(30), "the sample was not read while the window was listed"
        return real_list(cal, start, end)

    g.get_events, g.list_events = get_events, list_events
    g.calls.clear()
    results = engine.reconcile(seed=7)
    assert g.calls.count("list") == 1 and g.calls.count("get") == 6  # all six Synced were picked before the listing
    assert results[G]["needs_person"] == 1 and results[G]["sample_checked"] == 5
    assert results[G]["sample_mismatched"] == 0
    link = links(store, appts[2].id)[G]
    assert link.state is SyncState.DRIFT and "start" in link.diff
    assert all(synced(store, a.id) for a in appts if a is not appts[2])


def test_a_sample_read_together_that_fails_whole_ends_the_reconciliation_after_the_listing_is_planned(
        store, clock, engine, desk, cals):
    appts, g = moved_silently_on_a_calendar_reading_together(desk, store, clock, engine, cals)
    g.get_events = lambda cal, remote_ids: (_ for _ in ()).throw(RateLimited("slow down", status=429, retry_after=30))
    results = engine.reconcile(seed=7)
    assert "slow down" in results[G]["error"] and "error" not in results[O]
    assert links(store, appts[2].id)[G].state is SyncState.DRIFT  # the listing was planned all the same


def test_reconciliation_plans_only_what_the_incremental_reads_missed(store, clock, engine, desk, cals):
    """Events listed with the etag the cache holds were planned when the cache took them: not planned again (a
    full window of unchanged links cost ~8× the bare read); the changed one and the sample are."""
    appts = six(desk, store, clock)
    engine.run_cycle()
    engine.run_cycle()
    g = cals[0]
    rid = f"ev-{appts[2].id}"
    g.events[rid] = replace(g.events[rid], start=at("16:00", 24), end=at("16:45", 24), etag='"silent"')
    planned = []
    real_plan = engine.plan
    engine.plan = lambda key, link, *a, **kw: planned.append((key, link.appointment_id)) or real_plan(key, link, *a,
                                                                                                    **kw)
    results = engine.reconcile(seed=7)
    sampled = {G: results[G]["sample_checked"], O: results[O]["sample_checked"]}
    assert [p for p in planned if p[0] == G].count((G, appts[2].id)) == 1
    assert len([p for p in planned if p[0] == G]) == 1 + sampled[G]
    assert len([p for p in planned if p[0] == O]) == sampled[O]
    assert links(store, appts[2].id)[G].state is SyncState.DRIFT


def test_reconciliation_sample_catches_a_change_in_content_the_listing_agrees_on(store, clock, engine, desk, cals):
    appts = six(desk, store, clock)
    engine.run_cycle()
    o = cals[1]
    # changed silently: same etag, so the cached copy and the listing look alike until read one by one
    for appt in appts:
        rid = f"ev-{appt.id}"
        o.events[rid] = replace(o.events[rid], title="tampered")
    real_list = o.list_events
    o.list_events = lambda cal, s, e: [replace(ev, title=store.cache.by_remote_id(O, [ev.remote_id])[ev.remote_id].title)
                                       for ev in real_list(cal, s, e)]
    results = engine.reconcile(seed=3)
    assert results[O]["sample_checked"] == 6 and results[O]["sample_mismatched"] == 6


def test_an_incremental_cycle_with_nothing_changed_is_one_request_per_calendar(store, clock, engine, desk, cals):
    appts = six(desk, store, clock)
    engine.run_cycle()
    engine.run_cycle()  # the change feed reports our own six creates once
    for cal in cals:
        cal.calls.clear()
    planned = []
    real_plan = engine.plan
    engine.plan = lambda *a, **kw: planned.append(a) or real_plan(*a, **kw)
    report = engine.run_cycle()
    assert report.ok and report.pushed == 0
    assert [cal.calls for cal in cals] == [["changes"], ["changes"]]
    assert planned == []
    assert all(synced(store, a.id) for a in appts)


def test_backoff_grows_and_respects_retry_after():
    rng = random.Random(0)
    delays = [retry_delay(n, rng=rng) for n in range(1, 12)]
    assert 5 <= delays[0] <= 10 and delays[-1] <= 900
    assert delays[5] > delays[0]
    assert retry_delay(1, retry_after=30, rng=rng) >= 30


@given(st.integers(min_value=0, max_value=2**32))
def test_a_link_does_not_reach_its_sixth_attempt_within_a_minute(seed):
    rng = random.Random(seed)
    assert sum(retry_delay(n, rng=rng) for n in range(1, 6)) >= 150


def test_content_hash_is_what_the_link_confirms(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    [event] = ours(cals[0], appt.id)
    assert links(store, appt.id)[G].content_hash == content_hash(event)


def test_a_create_whose_answer_was_lost_then_cancelled_leaves_no_orphan(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.lose_answers = [TransientError("connection reset by peer")]  # created; we never learnt its id
    engine.run_cycle()
    assert links(store, appt.id)[G].remote_id is None and len(ours(g, appt.id)) == 1
    desk.appointments.cancel(appt.id)
    clock.advance(seconds=10)
    engine.run_cycle()
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert ours(g, appt.id) == [] and ours(cals[1], appt.id) == []


def test_an_error_names_its_calendar_once(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    cals[0].fail_next = [TransientError("Google Calendar is having trouble on its side (it answered 503)", status=503)]
    cals[1].fail_next = [TransientError("backend error", status=503)]
    engine.run_cycle()
    assert links(store, appt.id)[G].last_error.startswith("Google Calendar is having trouble on its side (it "
                                                          "answered 503) —")
    assert links(store, appt.id)[O].last_error.startswith("Outlook: backend error —")


def test_a_409_on_a_create_is_a_failure_retried_not_a_deletion(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    cals[0].fail_next = [ConflictError("duplicate", status=409)]
    engine.run_cycle()
    link = links(store, appt.id)[G]
    assert link.state is SyncState.FAILED and "deleted" not in link.last_error and not link.deleted_remotely
    clock.advance(seconds=10)
    assert engine.run_cycle().ok and synced(store, appt.id) and len(ours(cals[0], appt.id)) == 1


def test_take_theirs_on_cancelled_here_edited_there_restores_the_booking(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    engine.run_cycle()
    g, o = cals
    o.human_edit(f"ev-{appt.id}", start=at("15:00"), end=at("15:45"))
    desk.appointments.cancel(appt.id)
    engine.run_cycle()
    link = links(store, appt.id)[O]
    assert link.state is SyncState.CONFLICT and "cancelled here" in link.last_error
    assert ours(g, appt.id) == []  # Google had no change of theirs: deleted
    restored = desk.sync.take_theirs(link.id, actor="amy")
    assert restored.status is AppointmentStatus.CONFIRMED and restored.start == at("15:00")
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert [e.start for e in ours(o, appt.id)] == [at("15:00")] == [e.start for e in ours(g, appt.id)]


def test_a_reschedule_at_another_desk_while_the_old_time_is_written_is_not_called_synced(store, clock, engine,
                                                                                         desk, cals):
    """The race the crash test found: the sync thread planned from version 1 and wrote its time; meanwhile another
    desk moved the appointment. The old write's verdict must not mark the link Synced over the new version."""
    appt = approve(desk, store, clock)
    google, _ = cals
    original = google.create_event
    moved_to = at("14:00")

    def create_while_another_desk_reschedules(calendar_id, draft):
        event = original(calendar_id, draft)
        if draft.uid == appt.id and draft.start == appt.start:  # the old time has just been written
            desk.appointments.reschedule(appt.id, moved_to)
        return event

    google.create_event = create_while_another_desk_reschedules
    engine.run_cycle()
    link = links(store, appt.id)[G]
    assert link.state is SyncState.PENDING and link.remote_id is not None  # the write is known, not its verdict
    engine.run_cycle()
    assert synced(store, appt.id)
    [event] = ours(google, appt.id)
    assert event.start == moved_to  # the new version, not the one written first


# --- a create whose answer was lost, retried after the event changed there ------------------------------------------


def test_a_persons_edit_before_a_lost_create_is_retried_is_drift_not_overwritten(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.lose_answers = [TransientError("connection reset by peer")]  # created; we never learnt its id
    engine.run_cycle()
    assert links(store, appt.id)[G].remote_id is None
    g.human_edit(f"ev-{appt.id}", start=at("15:00"), end=at("15:45"))  # a person moves it meanwhile
    clock.advance(seconds=10)
    engine.run_cycle()
    link = links(store, appt.id)[G]
    assert link.state is SyncState.DRIFT and link.remote_id == f"ev-{appt.id}"
    assert [e.start for e in ours(g, appt.id)] == [at("15:00")]  # the person's move stands
    assert desk.sync.take_theirs(link.id, actor="amy").start == at("15:00")
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert [e.start for e in ours(cals[1], appt.id)] == [at("15:00")]


def test_our_reschedule_before_a_lost_create_is_retried_updates_the_one_event(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.lose_answers = [TransientError("connection reset by peer")]
    engine.run_cycle()
    moved = desk.appointments.reschedule(appt.id, at("13:00"))
    clock.advance(seconds=10)
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert [e.start for e in ours(g, appt.id)] == [moved.start] == [at("13:00")]
    assert g.calls.count("create") == 2 and g.calls.count("update") == 1


def test_both_changed_before_a_lost_create_is_retried_is_a_conflict(store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.lose_answers = [TransientError("connection reset by peer")]
    engine.run_cycle()
    g.human_edit(f"ev-{appt.id}", title="Dr. Patel — do not book")
    desk.appointments.reschedule(appt.id, at("13:00"))
    clock.advance(seconds=10)
    engine.run_cycle()
    link = links(store, appt.id)[G]
    assert link.state is SyncState.CONFLICT
    assert [(e.title, e.start) for e in ours(g, appt.id)] == [("Dr. Patel — do not book", appt.start)]
    desk.sync.keep_ours(link.id, actor="amy")  # If-Match on the copy the person saw
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert [e.start for e in ours(g, appt.id)] == [at("13:00")]


def test_a_lost_create_deleted_there_before_the_retry_is_drift_deleted_and_keep_ours_makes_it_anew(
        store, clock, engine, desk, cals):
    appt = approve(desk, store, clock)
    g = cals[0]
    g.lose_answers = [TransientError("connection reset by peer")]
    engine.run_cycle()
    g.human_delete(f"ev-{appt.id}")
    clock.advance(seconds=10)
    engine.run_cycle()
    link = links(store, appt.id)[G]
    assert link.state is SyncState.DRIFT and link.deleted_remotely and ours(g, appt.id) == []
    desk.sync.keep_ours(link.id, actor="amy")
    assert engine.run_cycle().ok and synced(store, appt.id)
    [again] = ours(g, appt.id)
    assert again.remote_id == f"ev-{appt.id}g1" and links(store, appt.id)[G].remote_id == again.remote_id


def test_a_create_that_landed_as_the_desk_died_then_cancelled_is_found_and_deleted(store, clock, engine, desk, cals):
    """Killed between sending a create and saving anything: no id, no hash. Cancelled since, the event is found by
    the create's key and deleted, on both calendars, rather than left behind."""
    appt = approve(desk, store, clock)
    for cal in cals:  # the creates land; the process dies before a word of it is saved
        cal.create_event("primary", engine.draft_for(store.appointments.get(appt.id)))
    desk.appointments.cancel(appt.id)
    assert engine.run_cycle().ok and synced(store, appt.id)
    assert ours(cals[0], appt.id) == [] and ours(cals[1], appt.id) == []
    assert engine.run_cycle().pushed == 0  # checked once; nothing more owed
