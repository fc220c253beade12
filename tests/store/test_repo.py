from datetime import datetime, timedelta, timezone

import pytest

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import ProposalStatus, SyncState
from receptionist.domain.payload import LocationRules, normalise, parse_payload
from receptionist.store.repo import StaleEdit
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
    assert len(store.recent_calls()) == 1
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
    appt = store.approve_proposal(p.id, draft_of(p), p.version, ["google:primary", "outlook:default"], "amy",
                                  clock(), [("sms.confirmation", {"to": "+13125550142", "body": "hi"})])
    assert [link.state for link in appt.links] == [SyncState.PENDING, SyncState.PENDING]
    assert appt.end - appt.start == timedelta(minutes=45)
    assert store.get_proposal(p.id).status is ProposalStatus.APPROVED
    assert store.outbox_due(clock())[0][1] == "sms.confirmation"
    assert [e["action"] for e in store.audit_entries()][:2] == ["proposal.approved", "call.received"]


def test_second_desk_cannot_approve_or_edit_a_decided_proposal(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    store.approve_proposal(p.id, draft_of(p), p.version, ["google:primary"], "desk-1", clock())
    with pytest.raises(StaleEdit, match="already approved by desk-1"):
        store.approve_proposal(p.id, draft_of(p), p.version, ["google:primary"], "desk-2", clock())
    assert len(store.appointments()) == 1


def test_stale_version_is_refused(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    store.update_proposal(p.id, draft_of(p), [], p.version, "desk-1", clock())
    with pytest.raises(StaleEdit, match="changed at another desk"):
        store.update_proposal(p.id, draft_of(p), [], p.version, "desk-2", clock())


def test_links_due_respects_backoff_and_max_attempts(store, clock):
    call, _ = store.record_call(capture(), {}, clock())
    p = call.proposal
    appt = store.approve_proposal(p.id, draft_of(p), p.version, ["a", "b"], "amy", clock())
    a, b = appt.links
    store.save_link(a.id, clock(), state=SyncState.FAILED, attempts=1, next_attempt_at=clock() + timedelta(minutes=1))
    store.save_link(b.id, clock(), state=SyncState.FAILED, attempts=8, next_attempt_at=clock())
    assert store.links_due(clock(), max_attempts=8) == []
    assert [link.id for link in store.links_due(clock() + timedelta(minutes=2), max_attempts=8)] == [a.id]
    assert store.retry_links(clock()) == 2
    assert {link.state for link in store.links_due(clock(), 8)} == {SyncState.PENDING}


def test_lease_has_one_holder(store, clock):
    ttl = timedelta(seconds=60)
    assert store.acquire_lease("sync", "desk-1", ttl, clock())
    assert not store.acquire_lease("sync", "desk-2", ttl, clock())
    assert store.acquire_lease("sync", "desk-1", ttl, clock())  # renew
    assert store.acquire_lease("sync", "desk-2", ttl, clock() + timedelta(seconds=61))  # expired → taken over
    assert not store.acquire_lease("sync", "desk-1", ttl, clock() + timedelta(seconds=62))
