"""Needs a callback: a call leaves the queue as "callback" and its callback is on the desk, with the desk's note,
keeping the reason it was stored with; the queue's views, the command line and the conversion report count it."""

from __future__ import annotations

import pytest

from receptionist import events
from receptionist.domain.call_queue import CallFilter, CallQuery, RowState, row_state
from receptionist.domain.callbacks import CallbackReason
from receptionist.domain.models import ProposalStatus
from receptionist.services.context import location_rules
from receptionist.store.base import StaleEdit
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload


@pytest.fixture
def desk(store, profile, clock):
    return make_desk(store, profile, events.EventBus(), {}, clock=clock)


def stored(desk, clock, **overrides):
    return store_payload(desk.context.store, payload(**overrides), location_rules(desk.context.profile), clock())


def test_a_booking_call_leaves_the_queue_as_a_callback_with_the_note(desk, clock):
    call = stored(desk, clock)
    p = call.proposal
    before = desk.bookings.call_counts()
    seen = []
    desk.context.bus.subscribe(lambda e: seen.append(e.topic))
    record = desk.callbacks.from_call(p.id, p.version, "  Wants to talk about the price first ", actor="Ana")
    assert record.status is ProposalStatus.CALLBACK and record.decided_by == "Ana"
    assert record.reject_reason == "Wants to talk about the price first"
    assert {events.PROPOSAL_DECIDED, events.CALLBACK_CHANGED} <= set(seen)
    [cb] = desk.callbacks.desk().callbacks
    assert cb.call_row_id == call.id and cb.reason is CallbackReason.CALLBACK and cb.open
    assert cb.note == "Wants to talk about the price first" and cb.due_at > clock()
    after = desk.bookings.call_counts()
    assert after[CallFilter.NEEDS_ME] == before[CallFilter.NEEDS_ME] - 1
    assert after[CallFilter.DONE] == before[CallFilter.DONE] + 1
    [done] = desk.bookings.call_page(CallQuery(CallFilter.DONE)).calls
    assert row_state(done) is RowState.CALLBACK
    assert desk.bookings.call_page(CallQuery(CallFilter.NEEDS_ME)).calls == []
    audit = desk.people.audit_log(action="proposal.callback", actor="Ana")
    assert [(a.actor, a.detail) for a in audit] == [("Ana", {"note": "Wants to talk about the price first"})]


def test_a_question_keeps_the_callback_and_reason_it_was_stored_with(desk, clock):
    call = stored(desk, clock, reason_codes=["general inquiry"], service=..., requested_start=...,
                  summary="Asked whether Delta Dental is taken.")
    [made] = desk.callbacks.desk().callbacks
    assert made.reason is CallbackReason.QUESTION
    desk.callbacks.from_call(call.proposal.id, call.proposal.version)
    [cb] = desk.callbacks.desk().callbacks
    assert (cb.id, cb.reason, cb.due_at) == (made.id, CallbackReason.QUESTION, made.due_at)


def test_an_urgent_call_keeps_its_urgency(desk, clock):
    call = stored(desk, clock, reason_codes=["urgent"], summary="Her crown fell out, she is in pain.")
    desk.callbacks.from_call(call.proposal.id, call.proposal.version, "call her now")
    [cb] = desk.callbacks.desk().callbacks
    assert cb.urgent and cb.reason is CallbackReason.URGENT and cb.note == "call her now"


def test_a_call_decided_elsewhere_is_refused_and_nothing_changes(desk, clock):
    p = stored(desk, clock).proposal
    desk.bookings.reject(p.id, p.version, "booked by phone")
    with pytest.raises(StaleEdit, match="already rejected"):
        desk.callbacks.from_call(p.id, p.version)
    assert desk.bookings.proposal(p.id).status is ProposalStatus.REJECTED
    q = stored(desk, clock, requested_start="2026-11-25T10:30:00").proposal
    with pytest.raises(StaleEdit, match="changed at another desk"):
        desk.callbacks.from_call(q.id, q.version + 1)
    assert desk.bookings.proposal(q.id).status is ProposalStatus.PENDING


def test_the_conversion_report_counts_it_with_the_proposals_not_booked(desk, clock):
    p = stored(desk, clock).proposal
    desk.callbacks.from_call(p.id, p.version)
    report = desk.reports.conversion()
    assert (report.total.proposals, report.total.rejected, report.total.pending) == (1, 1, 0)


def test_the_command_answers_in_json_and_refuses_a_decided_call(db_url, tmp_path, capsys):
    import json

    from receptionist.cli import main

    path = tmp_path / "call.json"
    path.write_text(json.dumps(payload()))
    assert main(["ingest", str(path), "--platform", "generic", "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["calls", "list", "--json", "--db", db_url]) == 0
    [call] = json.loads(capsys.readouterr().out)
    argv = ["proposals", "callback", str(call["proposal"]["id"]), "--note", "price", "--json", "--db", db_url]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["reject_reason"]) == ("callback", "price")
    assert main(["calls", "list", "--filter", "needs-me", "--json", "--db", db_url]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(argv) == 2
    assert json.loads(capsys.readouterr().out)["error"].startswith("this booking was already callback")
