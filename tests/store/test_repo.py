from datetime import datetime, timedelta, timezone

import pytest

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import ProposalStatus, SyncState
from receptionist.domain.payload import LocationRules, normalise, parse_payload
from receptionist.store import StaleEdit
from tests.helpers.payloads import payload

from zoneinfo import ZoneInfo

RULES = LocationRules(zone=ZoneInfo("America/Chicago"))


def capture(**kw):
    return normalise(parse_payload(payload(**kw)), RULES, datetime(2026, 11, 23, 15, tzinfo=timezone.utc))


def test_record_call_is_deduplicated_by_platform_and_call_id(store, clock):
    first, created = store.record_call(capture(call_id="abc"), {"raw": 1}, clock())
    again, created_again = store.record_call(capture(call_id="abc"), {"raw": 2}, clock())
    assert created and not created_again
    assert again.id == first.id
    assert len(store.calls.recent()) == 1
    other, created_other = store.record_call(capture(call_id="abc", platform="vapi"), {}, clock())
    assert created_other and other.id != first.id


def test_times_come_back_as_aware_utc(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    assert call.requested_start == datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)
    assert call.received_at.tzinfo is timezone.utc


def draft_of(p):
    return BookingDraft(p.caller_name, p.callback_number, p.service, p.start, p.duration_minutes, p.notes)


def test_approve_creates_appointment_with_pending_links_atomically(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["google:primary", "outlook:default"], "amy",
                                  clock(), [("sms.confirmation", {"to": "+13125550142", "body": "hi"})])
    assert [link.state for link in appt.links] == [SyncState.PENDING, SyncState.PENDING]
    assert appt.end - appt.start == timedelta(minutes=45)
    assert store.proposals.get(p.id).status is ProposalStatus.APPROVED
    assert store.outbox.due(clock())[0][1] == "sms.confirmation"
    assert [e["action"] for e in store.audit.entries()][:2] == ["proposal.approved", "call.received"]


def test_second_desk_cannot_approve_or_edit_a_decided_proposal(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    store.proposals.approve(p.id, draft_of(p), p.version, ["google:primary"], "desk-1", clock())
    with pytest.raises(StaleEdit, match="already approved by desk-1"):
        store.proposals.approve(p.id, draft_of(p), p.version, ["google:primary"], "desk-2", clock())
    assert len(store.appointments.between()) == 1


def test_stale_version_is_refused(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    store.proposals.update(p.id, draft_of(p), [], p.version, "desk-1", clock())
    with pytest.raises(StaleEdit, match="changed at another desk"):
        store.proposals.update(p.id, draft_of(p), [], p.version, "desk-2", clock())


def test_links_to_plan_is_what_is_owed_changed_or_missing_and_nothing_when_quiet(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["a", "b"], "amy", clock())
    a, b = appt.links
    assert {link.id for link, _ in store.links.to_plan("a")} == {a.id}  # Pending
    window = (clock() - timedelta(days=1), clock() + timedelta(days=30))
    store.links.save(a.id, clock(), state=SyncState.SYNCED, remote_id="ev-a", etag='"1"', content_hash="h")
    # Synced, but its event is not in the cache of a window that covers it: the plan must look (CHECK)
    assert [link.id for link, _ in store.links.to_plan("a", (), window)] == [a.id]
    from receptionist.domain.ports import RemoteEvent
    event = RemoteEvent("ev-a", '"1"', "x", appt.start, appt.end, uid=appt.id)
    store.cache.put("a", event, appt.id, clock())
    assert store.links.to_plan("a", (), window) == []  # quiet: nothing to look at
    assert [link.id for link, _ in store.links.to_plan("a", ["ev-a"], window)] == [a.id]  # its copy changed
    assert store.links.to_plan("a", ["ev-other"], window) == []


def test_links_to_plan_leaves_out_failed_links_resting_in_their_backoff_or_given_up(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["a"], "amy", clock())
    [a] = appt.links
    resting = (clock(), 3)

    def planned(changed=()):
        return [link.id for link, _ in store.links.to_plan("a", changed, None, resting=resting)]

    store.links.save(a.id, clock(), state=SyncState.FAILED, attempts=1, next_attempt_at=clock() + timedelta(minutes=5))
    assert planned() == [] and [link.id for link, _ in store.links.to_plan("a")] == [a.id]
    store.links.save(a.id, clock(), attempts=1, next_attempt_at=clock() - timedelta(seconds=1))
    assert planned() == [a.id]  # due again
    store.links.save(a.id, clock(), attempts=3, next_attempt_at=None)
    assert planned() == []  # gave up: until Retry
    store.links.save(a.id, clock(), remote_id="ev-a")
    assert planned(["ev-a"]) == [a.id]  # its copy changed: looked at all the same
    store.links.save(a.id, clock(), attempts=0, next_attempt_at=None)
    assert planned() == [a.id]  # Failed with no backoff set: owed


def test_retry_puts_failed_links_back_but_not_drift(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["a", "b"], "amy", clock())
    a, b = appt.links
    store.links.save(a.id, clock(), state=SyncState.FAILED, attempts=8, next_attempt_at=clock())
    store.links.save(b.id, clock(), state=SyncState.DRIFT, detail={"deleted": True})
    assert store.links.retry(clock()) == 1
    links = {link.id: link for link in store.appointments.get(appt.id).links}
    assert links[a.id].state is SyncState.PENDING and links[a.id].attempts == 0
    assert links[b.id].state is SyncState.DRIFT


def test_save_link_with_expect_updated_loses_to_a_person(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["a"], "amy", clock())
    [a] = appt.links
    store.links.save(a.id, clock(), state=SyncState.FAILED, attempts=8)
    read_at = store.link_updated_at(a.id)
    clock.advance(seconds=1)
    assert store.links.retry(clock(), [a.id]) == 1  # a person pressed Retry meanwhile
    assert store.links.save(a.id, clock(), expect_updated=read_at, state=SyncState.FAILED, attempts=9) is None
    assert store.links.get(a.id).state is SyncState.PENDING


def test_lease_has_one_holder(store, clock):
    ttl = timedelta(seconds=60)
    assert store.leases.acquire("sync", "desk-1", ttl, clock())
    assert not store.leases.acquire("sync", "desk-2", ttl, clock())
    assert store.leases.acquire("sync", "desk-1", ttl, clock())  # renew
    assert store.leases.acquire("sync", "desk-2", ttl, clock() + timedelta(seconds=61))  # expired → taken over
    assert not store.leases.acquire("sync", "desk-1", ttl, clock() + timedelta(seconds=62))


def test_view_rows_carry_the_shown_columns_and_a_badge_per_link(store, clock):
    """The views' reads (week, appointments page, rows by id) hand out rows, not whole appointments: the shown
    columns, a badge per link in calendar order, and what differs only for a Drift/Conflict."""
    calendars = ["outlook:default", "google:primary"]
    booked = []
    for n, start in enumerate(("2026-11-25T11:00:00", "2026-11-24T10:30:00")):
        call, _ = store.record_call(capture(call_id=f"c{n}", requested_start=start), {}, clock())
        p = call.proposal
        booked.append(store.proposals.approve(p.id, draft_of(p), p.version, calendars, "amy", clock()))
    later, first = booked
    drift = {"diff": {"start": ["ours", "theirs"]}, "deleted": False}
    google = next(link for link in first.links if link.calendar == "google:primary")
    store.links.save(google.id, clock(), state=SyncState.DRIFT, detail=drift, last_error="changed on Google")
    outlook = next(link for link in first.links if link.calendar == "outlook:default")
    store.links.save(outlook.id, clock(), state=SyncState.SYNCED, detail={"ignored": True})
    store.appointments.cancel(later.id, later.version, "caller is ill", "amy", clock())
    day = datetime(2026, 11, 24, 6, tzinfo=timezone.utc)

    rows = store.appointments.rows(day, day + timedelta(days=2))
    assert [r.id for r in rows] == [first.id, later.id]  # by start, the cancelled one too
    row = rows[0]
    assert (row.start, row.end, row.caller_name, row.callback_number, row.service) == (
        first.start, first.end, first.caller_name, first.callback_number, first.service)
    assert [(b.calendar, b.state) for b in row.links] == [("google:primary", SyncState.DRIFT),
                                                           ("outlook:default", SyncState.SYNCED)]
    assert row.links[0].diff == {"start": ("ours", "theirs")} and row.links[0].last_error == "changed on Google"
    assert row.links[1].detail is None  # not a Drift/Conflict: its detail is not read
    assert rows[1].status.value == "cancelled" and rows[1].cancel_reason == "caller is ill"
    assert store.appointments.page(day, day + timedelta(days=2), limit=1) == rows[:1]
    assert store.appointments.page(day, day + timedelta(days=2), offset=1) == rows[1:]
    by_id = store.appointments.rows_by_id([later.id, first.id, later.id])
    assert sorted(by_id, key=lambda r: r.id) == sorted(rows, key=lambda r: r.id)
