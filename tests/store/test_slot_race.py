"""Desks racing for one slot, on SQLite and on PostgreSQL: exactly one wins.

Each racer is paused just after its in-transaction clash check has read the appointments, until the other racer
has read them too (or a second has passed, when the guard makes the other wait): without a lock taken before the
check, both read "free" and both write; with it, the later one reads the winner's row and is refused."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from receptionist.config import Profile
from receptionist.domain.bookings import BookingDraft
from receptionist.services.context import location_rules
from receptionist.store import StaleEdit, Store
from receptionist.store.db import make_engine, upgrade
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

START = datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, db_url):
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return db_url


@pytest.fixture
def racers(backend):
    engines = [make_engine(backend) for _ in range(2)]
    upgrade(engines[0])
    yield engines, [Store(e) for e in engines]
    for e in engines:
        e.dispose()


def pause_after_the_clash_read(engines):
    """Each engine's first read of the appointments waits at one barrier, so both checks run before either
    write lands unless the guard serialises them (then the barrier gives up after a second)."""
    barrier = threading.Barrier(len(engines), timeout=1.0)
    paused: set[int] = set()

    def after(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        me = threading.get_ident()
        if "FROM appointments" in statement and statement.lstrip().upper().startswith("SELECT") \
                and me not in paused:
            paused.add(me)
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass

    for e in engines:
        event.listen(e, "after_cursor_execute", after)


def race(stores, act):
    results: list[object] = [None] * len(stores)
    start = threading.Barrier(len(stores))

    def run(i, store):
        start.wait()
        try:
            results[i] = act(i, store)
        except StaleEdit as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_desks_approving_two_calls_for_one_slot_book_it_once(racers, clock):
    engines, stores = racers
    proposals = [store_payload(stores[0], payload(call_id=f"race-{i}", requested_start=START.isoformat()),
                               location_rules(Profile()), clock()).proposal for i in range(2)]
    pause_after_the_clash_read(engines)

    def approve(i, store):
        p = proposals[i]
        draft = BookingDraft(p.caller_name, p.callback_number, p.service, p.start, p.duration_minutes)
        return store.proposals.approve(p.id, draft, p.version, ["google:primary"], f"desk-{i}", clock(),
                                       seen_clashes=frozenset())

    results = race(stores, approve)
    assert sum(isinstance(r, StaleEdit) for r in results) == 1, results
    assert len(stores[0].appointments.between()) == 1
    loser = next(r for r in results if isinstance(r, StaleEdit))
    assert "another desk a moment ago" in str(loser)


def test_two_callers_booking_one_held_slot_at_once_get_it_once(racers, clock):
    engines, stores = racers
    now = clock()
    slot = (START, START + timedelta(minutes=30), "consult", None)
    pause_after_the_clash_read(engines)
    results = race(stores, lambda i, store: store.holds.book("vapi", f"call-{i}", slot, now,
                                                             now + timedelta(minutes=10)))
    assert sorted(results) == [False, True]
    held = stores[0].holds.blocks(START, START + timedelta(hours=1), now)
    assert len(held) == 1


def test_a_move_and_an_approval_racing_for_one_slot_do_not_both_land(racers, clock):
    engines, stores = racers
    early, late = (store_payload(stores[0], payload(call_id=call_id, requested_start=start.isoformat()),
                                 location_rules(Profile()), clock()).proposal
                   for call_id, start in (("moving", START - timedelta(hours=2)), ("new", START)))
    draft = BookingDraft(early.caller_name, early.callback_number, early.service, early.start,
                         early.duration_minutes)
    moving = stores[0].proposals.approve(early.id, draft, early.version, [], "desk", clock())
    pause_after_the_clash_read(engines)

    def act(i, store):
        if i == 0:
            return store.appointments.change(moving.id, moving.version,
                                             {"start": START, "end": START + (moving.end - moving.start)},
                                             "desk-0", clock(), seen_clashes=frozenset())
        draft = BookingDraft(late.caller_name, late.callback_number, late.service, late.start,
                             late.duration_minutes)
        return store.proposals.approve(late.id, draft, late.version, [], "desk-1", clock(),
                                       seen_clashes=frozenset())

    results = race(stores, act)
    assert sum(isinstance(r, StaleEdit) for r in results) == 1, results
    at_start = [a for a in stores[0].appointments.between() if a.start == START]
    assert len(at_start) == 1
