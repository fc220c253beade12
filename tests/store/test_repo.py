from datetime import datetime, timedelta, timezone

import pytest

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.callbacks import callback_due
from receptionist.domain.intake import DeliverySource, InboxState
from receptionist.domain.models import ProposalStatus, SyncState
from receptionist.domain.payload import LocationRules, normalise, parse_payload
from receptionist.store.inbox import Outcome
from receptionist.store import StaleEdit
from tests.helpers.calls import store_call
from tests.helpers.payloads import payload
from tests.helpers.rows import audit_entries

from zoneinfo import ZoneInfo

RULES = LocationRules(zone=ZoneInfo("America/Chicago"))


def capture(**kw):
    return normalise(parse_payload(payload(**kw)), RULES, datetime(2026, 11, 23, 15, tzinfo=timezone.utc))


def deliver(inbox, c, key, now):
    """One delivery of the call ``c`` under the inbox key ``key``, mapped and applied as the intake's worker does."""
    inbox_id, created = inbox.store_delivery(platform="generic", dedupe_key=key, source=DeliverySource.FILE,
                                             received_at=now, url="file://tests", headers={}, body=b"{}")
    applied = inbox.apply([Outcome(inbox_id, InboxState.DONE, capture=c, payload={})], now,
                          lambda received, urgent: callback_due(received, urgent, RULES)) if created else []
    return inbox_id, created, applied


def test_a_second_delivery_of_a_call_makes_no_second_call(store, clock):
    inbox = store.inbox
    first_id, _, [first] = deliver(inbox, capture(call_id="abc"), "generic:generic:abc", clock())
    assert first.call_created
    # the platform retries the same delivery: the door knows its key, nothing is mapped again
    again_id, created, applied = deliver(inbox, capture(call_id="abc"), "generic:generic:abc", clock())
    assert (again_id, created, applied) == (first_id, False, [])
    # another delivery of the same call (another event, another key): mapped, but the call stored first stays
    other_id, _, [other] = deliver(inbox, capture(call_id="abc", caller={"name": "Someone Else"}), "abc:2", clock())
    assert not other.call_created and other.call.id == first.call.id
    assert inbox.get(other_id).reason == f"the same call is already stored (call #{first.call.id})"
    assert [(c.id, c.caller_name) for c in store.calls.recent()] == [(first.call.id, "Maria Lopez")]
    # the same call id on another platform is another call
    _, _, [vapi] = deliver(inbox, capture(call_id="abc", platform="vapi"), "generic:vapi:abc", clock())
    assert vapi.call_created and vapi.call.id != first.call.id


def test_times_come_back_as_aware_utc(store, clock):
    call = store_call(store, capture(), received_at=clock())
    assert call.requested_start == datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)
    assert call.received_at.tzinfo is timezone.utc


def draft_of(p):
    return BookingDraft(p.caller_name, p.callback_number, p.service, p.start, p.duration_minutes, p.notes)


def test_approve_creates_appointment_with_pending_links_atomically(store, clock):
    call = store_call(store, capture(), received_at=clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["google:primary", "outlook:default"], "amy",
                                  clock(), [("sms.confirmation", {"to": "+13125550142", "body": "hi"})])
    assert [link.state for link in appt.links] == [SyncState.PENDING, SyncState.PENDING]
    assert appt.end - appt.start == timedelta(minutes=45)
    assert store.proposals.get(p.id).status is ProposalStatus.APPROVED
    assert store.outbox.due(clock())[0][1] == "sms.confirmation"
    assert [e["action"] for e in audit_entries(store)][:2] == ["proposal.approved", "call.received"]


def test_second_desk_cannot_approve_or_edit_a_decided_proposal(store, clock):
    call = store_call(store, capture(), received_at=clock())
    p = call.proposal
    store.proposals.approve(p.id, draft_of(p), p.version, ["google:primary"], "desk-1", clock())
    with pytest.raises(StaleEdit, match="already approved by desk-1"):
        store.proposals.approve(p.id, draft_of(p), p.version, ["google:primary"], "desk-2", clock())
    assert len(store.appointments.between()) == 1


def test_stale_version_is_refused(store, clock):
    call = store_call(store, capture(), received_at=clock())
    p = call.proposal
    store.proposals.update(p.id, draft_of(p), [], p.version, "desk-1", clock())
    with pytest.raises(StaleEdit, match="changed at another desk"):
        store.proposals.update(p.id, draft_of(p), [], p.version, "desk-2", clock())


def test_links_to_plan_is_what_is_owed_changed_or_missing_and_nothing_when_quiet(store, clock):
    call = store_call(store, capture(), received_at=clock())
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
    call = store_call(store, capture(), received_at=clock())
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
    call = store_call(store, capture(), received_at=clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["a", "b"], "amy", clock())
    a, b = appt.links
    store.links.save(a.id, clock(), state=SyncState.FAILED, attempts=8, next_attempt_at=clock())
    store.links.save(b.id, clock(), state=SyncState.DRIFT, detail={"deleted": True})
    assert store.links.retry(clock()) == 1
    links = {link.id: link for link in store.appointments.get(appt.id).links}
    assert links[a.id].state is SyncState.PENDING and links[a.id].attempts == 0
    assert links[b.id].state is SyncState.DRIFT


def test_a_link_saved_from_an_older_version_keeps_what_the_calendar_holds_not_the_verdict(store, clock):
    """The sync thread wrote the time it planned from while a desk rescheduled: the write's facts are kept, the
    link stays owed (Pending) so the new time is pushed next, instead of being called Synced."""
    call = store_call(store, capture(), received_at=clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, draft_of(p), p.version, ["a"], "amy", clock())
    [a] = appt.links
    planned = appt.version
    moved = store.appointments.change(appt.id, appt.version, {"start": appt.start + timedelta(hours=1),
                                                             "end": appt.end + timedelta(hours=1)}, "desk-2", clock())
    assert moved.version != planned
    saved = store.links.save(a.id, clock(), planned_version=planned, state=SyncState.SYNCED, remote_id="ev-a",
                            etag='"1"', content_hash="old-time", synced_at=clock())
    assert (saved.remote_id, saved.etag, saved.content_hash) == ("ev-a", '"1"', "old-time")
    assert saved.state is SyncState.PENDING and saved.synced_at is None
    saved = store.links.save(a.id, clock(), planned_version=moved.version, state=SyncState.SYNCED, etag='"2"',
                            content_hash="new-time", synced_at=clock())
    assert saved.state is SyncState.SYNCED and saved.content_hash == "new-time"


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
        call = store_call(store, capture(call_id=f"c{n}", requested_start=start), received_at=clock())
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
