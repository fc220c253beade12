"""What the CalDAV provider remembers survives a restart: a provider built anew on the same store, after changes a
person made while the desk was down, reports exactly what changed from the engine's stored cursor, against the real
Radicale, without a full read."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from receptionist.domain.ports import ChangeBatch
from receptionist.errors import NotFound
from receptionist_sandbox.caldav import FaultProxy
from tests.helpers.caldav import Person, make_calendar, make_provider
from tests.providers.test_contract import draft

UTC = timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
WINDOW = (datetime(2027, 2, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC))
NOW = datetime(2027, 1, 15, tzinfo=UTC)
KEY = "caldav:front-desk"


def local(y, m, d, h=9, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CHICAGO)


@pytest.fixture
def calendar(radicale_server) -> str:
    return make_calendar(radicale_server.url)


@pytest.fixture
def person(radicale_server, calendar) -> Person:
    someone = Person(radicale_server.url, calendar)
    yield someone
    someone.client.close()


@pytest.fixture
def proxy(radicale_server):
    proxy = FaultProxy(radicale_server.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def run(radicale_server, calendar, proxy, store):
    """A desk's run: a provider on the store's memory, through the proxy; call it again after ``close`` for the
    next run."""
    made = []

    def start():
        provider = make_provider(radicale_server.url, calendar, via=proxy.url, memory=store.provider_memory)
        made.append(provider)
        return provider

    yield start
    for provider in made:
        provider.close()


def pull(store, provider, batch_cursor=None) -> ChangeBatch:
    """One engine pull: from the stored cursor, folded into the remote cache with the new cursor."""
    cursor = store.cache.cursor(KEY)[0] if batch_cursor is None else batch_cursor
    batch = provider.list_changes(provider.settings.calendar_url, cursor, *WINDOW)
    store.cache.apply_changes(KEY, [batch], WINDOW, NOW)
    return batch


def shorten(person: Person, href: str, count: int) -> None:
    """The person deletes "this and all following" occurrences: the series' rule ends sooner (no EXDATE names the
    ones that vanish, so only what was reported before tells them)."""
    obj = person._object(href)
    obj.load()
    cal = icalendar.Calendar.from_ical(obj.data)
    master = next(c for c in cal.walk("VEVENT") if "RECURRENCE-ID" not in c)
    rule = master["RRULE"]
    rule["COUNT"] = [count]
    obj.data = cal.to_ical().decode()
    obj.save()


def gone(batch: ChangeBatch) -> set[str]:
    """What a batch says went away: deleted, or cancelled (an occurrence cancelled by an EXDATE)."""
    return set(batch.deleted_ids) | {e.remote_id for e in batch.events if e.cancelled}


def test_changes_made_while_the_desk_was_down_are_reported_exactly_without_a_full_read(run, proxy, person, store):
    first = run()
    huddle = person.add("Team huddle", local(2027, 2, 25, 8, 30), local(2027, 2, 25, 9),
                        rrule={"freq": "weekly", "count": 6})
    standup = person.add("Stand-up", local(2027, 3, 1, 10), local(2027, 3, 1, 10, 15),
                         rrule={"freq": "daily", "count": 5})
    ours = first.create_event(first.settings.calendar_url, draft(start=local(2027, 3, 2, 14)))
    full = pull(store, first)
    assert full.full and full.cursor.startswith("sync:")
    huddles = sorted((e for e in full.events if e.remote_id.startswith(huddle + "#")), key=lambda e: e.start)
    standups = {e.remote_id for e in full.events if e.remote_id.startswith(standup + "#")}
    assert len(huddles) == 6 and len(standups) == 5
    first.close()

    # while the desk is down: one huddle cancelled, the last two ended ("this and following"), our booking deleted,
    # the whole stand-up series moved an hour
    cancelled = huddles[3].remote_id
    person.delete(cancelled)
    shorten(person, huddle, 4)
    ended = {huddles[4].remote_id, huddles[5].remote_id}
    person.delete(ours.remote_id)
    person.edit(standup, title="Stand-up", start=local(2027, 3, 1, 11), end=local(2027, 3, 1, 11, 15))

    second = run()
    proxy.requests.clear()
    changes = pull(store, second)
    assert not changes.full
    assert [method for method, _ in proxy.requests] == ["REPORT"]  # the sync report alone: no listing
    live = {e.remote_id: e for e in changes.events if not e.cancelled}
    moved = {rid for rid in live if rid.startswith(standup + "#")}
    assert len(moved) == 5 and not moved & standups
    assert sorted(live[rid].start.astimezone(CHICAGO).hour for rid in moved) == [11] * 5
    assert {rid for rid in live if rid.startswith(huddle + "#")} == {e.remote_id for e in huddles[:3]}
    assert gone(changes) == {cancelled, ours.remote_id} | ended | standups

    cached = store.cache.by_remote_id(KEY, [cancelled, ours.remote_id, *ended, *standups, *moved])
    assert set(cached) == moved  # the engine's cache now matches the calendar

    # and what it learnt then survives the next restart too: a quiet cycle is one REPORT and nothing
    second.close()
    third = run()
    proxy.requests.clear()
    quiet = pull(store, third)
    assert (quiet.events, quiet.deleted_ids, quiet.full) == ([], [], False)
    assert [method for method, _ in proxy.requests] == ["REPORT"]
    with pytest.raises(NotFound):  # the person deleted our booking: a retried create does not bring it back
        third.create_event(third.settings.calendar_url, draft(start=local(2027, 3, 2, 14)))


def test_our_own_delete_is_remembered_so_a_retried_create_does_not_bring_it_back(run, store):
    first = run()
    calendar_url = first.settings.calendar_url
    made = first.create_event(calendar_url, draft(start=local(2027, 3, 9, 10)))
    first.delete_event(calendar_url, made.remote_id, made.etag)
    first.close()

    second = run()  # a create of the same booking whose answer was lost before the restart is retried
    with pytest.raises(NotFound):
        second.create_event(calendar_url, draft(start=local(2027, 3, 9, 10)))
    assert second.get_event(calendar_url, made.remote_id) is None


def test_a_cursor_the_engine_did_not_store_is_covered_by_the_one_before(run, proxy, person, store):
    # the desk stopped after the provider read a change and before the engine stored the new cursor
    first = run()
    href = person.add("Team huddle", local(2027, 2, 25, 8, 30), local(2027, 2, 25, 9),
                      rrule={"freq": "weekly", "count": 4})
    pull(store, first)
    occurrences = sorted(e.remote_id for e in first.list_events(first.settings.calendar_url, *WINDOW)
                         if e.remote_id.startswith(href + "#"))
    assert len(occurrences) == 4
    shorten(person, href, 2)  # the last two end
    stored = store.cache.cursor(KEY)[0]
    lost = first.list_changes(first.settings.calendar_url, stored, *WINDOW)  # never applied
    assert set(occurrences[2:]) <= gone(lost)
    first.close()

    second = run()
    proxy.requests.clear()
    again = pull(store, second)
    assert not again.full and [method for method, _ in proxy.requests] == ["REPORT"]
    assert set(occurrences[2:]) <= gone(again)
    assert set(store.cache.by_remote_id(KEY, occurrences)) == set(occurrences[:2])


def test_a_sync_cursor_from_before_the_memory_costs_one_full_read(radicale_server, calendar, proxy, person, store):
    person.add("Team huddle", local(2027, 2, 25, 8, 30), local(2027, 2, 25, 9), rrule={"freq": "weekly", "count": 3})
    forgetful = make_provider(radicale_server.url, calendar, via=proxy.url)  # no store: as a desk before 0010
    try:
        pull(store, forgetful)
    finally:
        forgetful.close()
    desk = make_provider(radicale_server.url, calendar, via=proxy.url, memory=store.provider_memory)
    try:
        again = pull(store, desk)
        assert again.full and len(again.events) == 3
        quiet = pull(store, desk)
        assert not quiet.full and quiet.events == []
    finally:
        desk.close()
