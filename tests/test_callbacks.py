"""The callback desk over a real store: calls that need a person become callbacks (whatever door they came in by),
the reject reason reaches its callback, Call back through a dialer, Done with an outcome, overdue ones counted,
and every action named in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.callbacks import CallbackOutcome, CallbackReason
from receptionist.domain.people import hash_pin
from receptionist.domain.ports import PlacedCall
from receptionist.errors import UserError
from receptionist.services.callbacks import tel_link
from receptionist.services.context import location_rules
from receptionist.store import tables as t
from receptionist.store.base import StaleEdit
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

OWNER = "+13125550999"
PEOPLE = {"members": [{"name": "Ana Ruiz", "role": "owner", "phone": OWNER},
                      {"name": "Ben Cole", "role": "front-desk", "pin_hash": hash_pin("4321")}]}


@dataclass
class FakeDialer:
    placed: list[tuple[str, str]] = field(default_factory=list)

    def connect_call(self, owner: str, caller: str) -> PlacedCall:
        self.placed.append((owner, caller))
        return PlacedCall(sid=f"CA{len(self.placed):032x}", status="queued", to=owner)


@pytest.fixture
def people_profile() -> Profile:
    return Profile.from_dict({"people": PEOPLE})


def desk_for(store, profile, clock, dialer=None):
    from receptionist.services import Desk, DeskContext

    ctx = DeskContext.of(store, profile, events.EventBus(), {}, clock, dialer=dialer)
    return Desk(ctx)


def question(store, clock, **kw):
    return store_payload(store, payload(reason_codes=["general inquiry"], service=..., requested_start=...,
                                        summary="Asked whether Delta Dental is taken.", **kw),
                         location_rules(Profile()), clock())


def test_calls_that_need_a_person_become_callbacks_by_due_time(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    rules = location_rules(profile)
    booking = store_payload(store, payload(), rules, clock())
    q = question(store, clock)
    urgent = store_payload(store, payload(reason_codes=["urgent"], summary="Crown fell out."), rules, clock())
    found = desk.callbacks.desk()
    assert [c.call_row_id for c in found.callbacks] == [urgent.id, q.id]  # the urgent one is due first
    assert booking.id not in {c.call_row_id for c in found.callbacks}
    assert (found.open, found.overdue) == (2, 0)
    first = found.callbacks[0]
    assert first.urgent and first.reason is CallbackReason.URGENT
    assert first.due_at == clock() + timedelta(minutes=30)  # Monday 9 AM in Chicago: open
    assert first.summary.who == "Maria Lopez · +13125550142"
    assert first.summary.told == "Thanks for calling!"
    assert tel_link(first.number) == "tel:+13125550142"
    clock.advance(hours=3)
    assert desk.callbacks.desk().overdue == 2


def test_reading_the_callback_desk_writes_nothing(store, profile, clock):
    """The callback is made with its call; the list (the window's read, the command's) only reads."""
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    question(store, clock)
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.Callback)) == 1  # made when the call was stored
    statements: list[str] = []

    def record(conn, cursor, statement, *_):
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        found = desk.callbacks.desk(include_done=True)
        desk.callbacks.get(found.callbacks[0].id)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert found.open == 1 and statements and set(statements) == {"SELECT"}


def test_the_reject_reason_reaches_the_callback(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    call = store_payload(store, payload(), location_rules(profile), clock())
    assert desk.callbacks.desk().callbacks == []
    desk.bookings.reject(call.proposal.id, call.proposal.version, "We do not see new patients on Tuesdays",
                         actor="Dr. Ana")
    [cb] = desk.callbacks.desk().callbacks
    assert (cb.call_row_id, cb.reason, cb.note) == (call.id, CallbackReason.REJECTED,
                                                     "We do not see new patients on Tuesdays")


def test_a_rejected_question_keeps_one_callback_with_the_reason(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    q = question(store, clock)
    desk.bookings.reject(q.proposal.id, q.proposal.version, "nothing to book")
    [cb] = desk.callbacks.desk().callbacks
    assert cb.reason is CallbackReason.REJECTED and cb.note == "nothing to book"


def test_call_back_rings_the_owner_then_done_records_the_outcome(store, people_profile, clock):
    dialer = FakeDialer()
    desk = desk_for(store, people_profile, clock, dialer)
    q = question(store, clock)
    [cb] = desk.callbacks.desk().callbacks
    record, placed = desk.callbacks.call_back(cb.id, actor="ana ruiz")
    assert dialer.placed == [(OWNER, "+13125550142")]
    assert (record.called_by, record.call_sid) == ("Ana Ruiz", placed.sid)
    with pytest.raises(UserError, match="has no phone"):
        desk.callbacks.call_back(cb.id, actor="Ben Cole")
    with pytest.raises(UserError, match="names its appointment"):
        desk.callbacks.done(cb.id, "booked", actor="Ana Ruiz")
    with pytest.raises(UserError, match="is not an outcome"):
        desk.callbacks.done(cb.id, "maybe", actor="Ana Ruiz")
    p = q.proposal
    appt = store.proposals.approve(p.id, BookingDraft("Maria Lopez", "+13125550142", "Cleaning",
                                                      clock() + timedelta(days=1), 30), p.version, [], "x", clock())
    done = desk.callbacks.done(cb.id, CallbackOutcome.BOOKED, appt.id, actor="Ana Ruiz")
    assert (done.outcome, done.appointment_id, done.done_by, done.open) == (CallbackOutcome.BOOKED, appt.id,
                                                                            "Ana Ruiz", False)
    with pytest.raises(StaleEdit, match="already done by Ana Ruiz"):
        desk.callbacks.done(cb.id, "reached", actor="Ana Ruiz")
    assert desk.callbacks.desk().callbacks == []
    assert [c.id for c in desk.callbacks.desk(include_done=True).callbacks] == [cb.id]
    actions = {(e.action, e.actor) for e in store.audit.entries()}
    assert {("callback.called", "Ana Ruiz"), ("callback.done", "Ana Ruiz")} <= actions


def test_without_twilio_call_back_says_so(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    question(store, clock)
    [cb] = desk.callbacks.desk().callbacks
    with pytest.raises(UserError, match="Twilio is not switched on"):
        desk.callbacks.call_back(cb.id)


def test_people_name_the_actor_and_strangers_are_refused(store, people_profile, clock):
    desk = desk_for(store, people_profile, clock)
    question(store, clock)
    [cb] = desk.callbacks.desk().callbacks
    with pytest.raises(UserError, match="not one of this desk's people"):
        desk.callbacks.done(cb.id, "reached", actor="cli")
    with pytest.raises(UserError, match="not one of this desk's people"):
        desk.callbacks.done(cb.id, "reached")  # nobody picked themself yet: "staff"
    with pytest.raises(UserError, match="not Ben Cole's PIN"):
        desk.people.pick("Ben Cole", "0000")
    assert desk.people.pick("ben cole", "4321") == "Ben Cole"
    desk.callbacks.assign(cb.id, "ana ruiz")
    assert desk.callbacks.done(cb.id, "voicemail").done_by == "Ben Cole"
    assert desk.callbacks.get(cb.id).assignee == "Ana Ruiz"
    with pytest.raises(UserError, match="for owners"):
        desk.people.audit_log()
    rows = desk.people.audit_log(actor="Ana Ruiz", person="Ben Cole")
    assert [r.action for r in rows] == ["callback.done", "callback.assigned", "person.picked"]
    assert [r.action for r in desk.people.audit_log(actor="Ana Ruiz", action="callback")] == [
        "callback.done", "callback.assigned"]


def test_the_list_is_paged_by_keyset_open_ones_first_then_the_done(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    made = [question(store, clock, call_id=f"q{i}") for i in range(7)]
    everything = desk.callbacks.desk(include_done=True, limit=100).callbacks
    for c in everything[:2]:
        desk.callbacks.done(c.id, "reached")
    whole = [c.id for c in desk.callbacks.desk(include_done=True, limit=100).callbacks]
    assert len(whole) == len(made) == 7 and whole[-2:] == [everything[1].id, everything[0].id]  # done: newest first

    pages, after = [], None
    while True:
        page = desk.callbacks.desk(include_done=True, limit=3, after=after)
        assert (page.open, page.overdue) == (5, 0)  # the counts are the whole list's, on every page
        pages.append([c.id for c in page.callbacks])
        if page.more is None:
            break
        after = page.more
    assert [len(p) for p in pages] == [3, 3, 1] and sum(pages, []) == whole
    assert desk.callbacks.desk(limit=5).more is None  # open ones only: exactly one page
