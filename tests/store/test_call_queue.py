"""The call queue's reads: each view filtered, searched and sorted in SQL, paged by keyset so that every call of a
view is reached exactly once whatever arrives meanwhile, counted per view; and ``calls list`` with the same options."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from receptionist import events
from receptionist.cli import main
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.call_queue import CallFilter, CallQuery, CallSort
from receptionist.errors import UserError
from receptionist.services.context import location_rules
from receptionist.store import tables as t
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

KINDS = {"book": ["new_booking"], "cancel": ["cancel_appointment"], "reschedule": ["reschedule"],
         "urgent": ["urgent"], "question": ["question"]}


def add(store, profile, clock, kind="book", name="Maria Lopez", number="(312) 555-0142", **extra):
    clock.advance(minutes=1)
    body = payload(reason_codes=KINDS[kind], caller={"name": name, "callback_number": number, "account_id": None},
                   **extra)
    return store_payload(store, body, location_rules(profile), clock())


def decide(store, call, approve=True):
    p = call.proposal
    if approve:
        store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, p.start, 45),
                                p.version, [], "amy", p.start)
    else:
        store.proposals.reject(p.id, p.version, "no", "amy", p.start)


@pytest.fixture
def queue(store, profile, clock):
    return make_queue(store, profile, clock)


def make_queue(store, profile, clock):
    """Two bookings (one approved), a cancel, a reschedule, an urgent call (rejected), a question; oldest first."""
    calls = {
        "maria": add(store, profile, clock),
        "ken": add(store, profile, clock, name="Ken Adams", number="312.555.0100"),
        "cancel": add(store, profile, clock, "cancel", name="Ana Ruiz", number="+1 773 555 0199"),
        "move": add(store, profile, clock, "reschedule", name="Bo Chen", number="(630) 555-0123"),
        "urgent": add(store, profile, clock, "urgent", name="Cy Dunn", number="(312) 555-0777"),
        "question": add(store, profile, clock, "question", name="Di Evans", number="(312) 555-0888"),
    }
    decide(store, calls["ken"])
    decide(store, calls["urgent"], approve=False)
    return calls


def names(page):
    return [c.caller_name for c in page.calls]


def test_each_view_lists_its_calls_newest_first_and_counts_every_view(store, queue):
    page = store.calls.page(CallQuery())
    assert names(page) == ["Di Evans", "Bo Chen", "Ana Ruiz", "Maria Lopez"] and not page.more
    assert page.counts == {CallFilter.NEEDS_ME: 4, CallFilter.BOOKINGS: 1, CallFilter.CHANGES: 2,
                           CallFilter.URGENT: 0, CallFilter.DONE: 2, CallFilter.ALL: 6}
    assert names(store.calls.page(CallQuery(CallFilter.CHANGES))) == ["Bo Chen", "Ana Ruiz"]
    assert names(store.calls.page(CallQuery(CallFilter.DONE))) == ["Cy Dunn", "Ken Adams"]
    assert names(store.calls.page(CallQuery(CallFilter.BOOKINGS, CallSort.OLDEST))) == ["Maria Lopez"]
    assert names(store.calls.page(CallQuery(CallFilter.ALL, CallSort.OLDEST)))[:2] == ["Maria Lopez", "Ken Adams"]


@pytest.mark.parametrize("typed, found", [
    ("(312) 555-0142", ["Maria Lopez"]), ("+13125550142", ["Maria Lopez"]), ("312.555.0142", ["Maria Lopez"]),
    ("773-555-0199", ["Ana Ruiz"]), ("555", ["Di Evans", "Cy Dunn", "Bo Chen", "Ana Ruiz", "Ken Adams", "Maria Lopez"]),
    ("ana", ["Ana Ruiz"]), ("LOPEZ maria", ["Maria Lopez"]), ("bo 630", ["Bo Chen"]), ("bo 312", []),
    ("100%", ["Ken Adams"]), ("a_b", []), ("di_evans", [])])
def test_search_by_name_or_number_in_any_format(store, queue, typed, found):
    page = store.calls.page(CallQuery(CallFilter.ALL, search=typed))
    assert names(page) == found
    assert page.counts[CallFilter.ALL] == len(found)


def test_urgent_first_puts_waiting_urgent_calls_on_top(store, profile, clock, queue):
    add(store, profile, clock, name="Old Urgent", number="(312) 555-0001")
    urgent = add(store, profile, clock, "urgent", name="Ed Fox", number="(312) 555-0002")
    clock.advance(minutes=1)
    add(store, profile, clock, name="Newest", number="(312) 555-0003")
    page = store.calls.page(CallQuery(CallFilter.NEEDS_ME, CallSort.URGENT_FIRST))
    assert page.calls[0].id == urgent.id and names(page)[1] == "Newest"


@pytest.mark.parametrize("sort", list(CallSort))
def test_paging_reaches_every_call_once_while_calls_arrive_and_are_decided(store, profile, clock, sort):
    calls = [add(store, profile, clock, kind) for kind in ["book", "urgent", "cancel", "book", "question"] * 9]
    seen, after, pages = [], None, 0
    while True:
        page = store.calls.page(CallQuery(CallFilter.NEEDS_ME, sort), after=after, limit=7)
        seen += [c.id for c in page.calls]
        pages += 1
        if pages == 2:  # meanwhile: a new call, and one already listed is decided
            add(store, profile, clock)
            decide(store, calls[0])
        if not page.more:
            break
        after = page.calls[-1].id
    assert len(seen) == len(set(seen)) == 45 - (0 if calls[0].id in seen else 1) + (1 if sort is CallSort.OLDEST else 0)
    assert {c.id for c in calls} - {calls[0].id} <= set(seen)
    assert page.counts[CallFilter.NEEDS_ME] == 45  # 45 waiting, one decided, one new


def test_calls_by_id_with_a_query_keeps_those_its_view_lists(store, queue):
    ids = [c.id for c in queue.values()]
    assert {c.caller_name for c in store.calls.by_id(ids, CallQuery(CallFilter.CHANGES))} == {"Ana Ruiz", "Bo Chen"}
    assert len(store.calls.by_id(ids)) == 6 and store.calls.by_id([]) == []


def test_an_unknown_after_is_a_sentence(store, queue):
    with pytest.raises(UserError, match="call 999 does not exist"):
        store.calls.page(CallQuery(), after=999)


def test_calls_in_progress_are_listed_until_their_call_is_stored(store, profile, clock, queue):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    with store.calls.session() as s:
        for call_id, number, ended in (("live-1", "+13125550142", None), ("live-2", "+16305550999", clock()),
                                       (queue["maria"].call_id, "+13125550142", clock())):
            s.add(t.LiveCall(platform="generic", call_id=call_id, caller_id_number=number, status="in-progress",
                             started_at=clock() - timedelta(minutes=2), updated_at=clock(), ended_at=ended))
        s.commit()
    live, notes = desk.bookings.in_progress()
    assert {c.call_id for c in live} == {"live-1", "live-2"}  # Maria's call is stored: a row of its own
    assert notes == {("generic", "live-1"): "Returning caller, called before on 11/23/2026",
                     ("generic", "live-2"): None}
    assert desk.bookings.in_progress(noted=frozenset(notes))[1] == {}  # looked up once per call
    assert [c.call_id for c in desk.bookings.in_progress(CallQuery(search="(630) 555-0999"))[0]] == ["live-2"]
    assert desk.bookings.in_progress(CallQuery(CallFilter.DONE)) == ([], {})
    with pytest.raises(UserError, match="at least one call"):
        desk.bookings.call_page(limit=0)


def test_calls_list_command_takes_the_views_options(db_url, capsys, store, profile, clock, queue):
    def run(*argv):
        assert main(["calls", "list", *argv, "--db", db_url]) == 0
        return capsys.readouterr().out

    listed = json.loads(run("--json", "--filter", "changes"))
    assert [c["caller"] for c in listed] == ["Bo Chen", "Ana Ruiz"] and listed[0]["intent"] == "reschedule"
    assert listed[0]["state"] == "Move appointment"
    assert [c["caller"] for c in json.loads(run("--json", "--search", "(312) 555-0142"))] == ["Maria Lopez"]
    first = json.loads(run("--json", "--limit", "2", "--sort", "oldest"))
    rest = json.loads(run("--json", "--sort", "oldest", "--after", str(first[-1]["id"])))
    assert [c["caller"] for c in first + rest] == ["Maria Lopez", "Ken Adams", "Ana Ruiz", "Bo Chen", "Cy Dunn",
                                                   "Di Evans"]
    text = run("--filter", "needs-me", "--limit", "1")
    assert text.splitlines()[0] == "1 of 4 calls listed (needs me); the next: --after " + str(queue["question"].id)
    assert run("--search", "nobody").splitlines()[0] == "0 calls"


def test_versions_say_which_listed_calls_changed(store, queue):
    ids = [c.id for c in queue.values()]
    before = store.calls.versions(ids + [999])
    assert set(before) == set(ids) and before[queue["cancel"].id] == ("cancel", 1, "pending")
    decide(store, queue["maria"])
    after = store.calls.versions(ids)
    assert [i for i in ids if after[i] != before[i]] == [queue["maria"].id]
    assert after[queue["maria"].id][2] == "approved"


@pytest.mark.postgres
def test_the_queue_reads_the_same_on_postgresql(pg_url, profile, clock):
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    store = Store(engine)
    try:
        queue = make_queue(store, profile, clock)
        test_each_view_lists_its_calls_newest_first_and_counts_every_view(store, queue)
        for typed, found in [("(312) 555-0142", ["Maria Lopez"]), ("LOPEZ maria", ["Maria Lopez"]), ("a_b", []),
                             ("bo 630", ["Bo Chen"])]:
            test_search_by_name_or_number_in_any_format(store, queue, typed, found)
        first = store.calls.page(CallQuery(CallFilter.ALL, CallSort.URGENT_FIRST), limit=2)
        rest = store.calls.page(CallQuery(CallFilter.ALL, CallSort.URGENT_FIRST), after=first.calls[-1].id)
        assert len({c.id for c in first.calls + rest.calls}) == 6 and first.calls[0].caller_name == "Cy Dunn"
        test_versions_say_which_listed_calls_changed(store, queue)
    finally:
        engine.dispose()

