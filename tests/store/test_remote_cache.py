"""The remote cache's write paths used by the sync engine: bulk upsert, and a pushed link saved with its copy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import SyncState
from receptionist.domain.payload import LocationRules, normalise, parse_payload
from receptionist.domain.ports import ChangeBatch, RemoteEvent
from tests.helpers.calls import store_call
from tests.helpers.payloads import payload

RULES = LocationRules(zone=ZoneInfo("America/Chicago"))
CAL = "google:primary"


def approved(store, clock):
    capture = normalise(parse_payload(payload()), RULES, datetime(2026, 11, 23, 15, tzinfo=timezone.utc))
    call = store_call(store, capture, received_at=clock())
    p = call.proposal
    draft = BookingDraft(p.caller_name, p.callback_number, p.service, p.start, p.duration_minutes, p.notes)
    return store.proposals.approve(p.id, draft, p.version, [CAL], "amy", clock())


def event(remote_id: str, start: datetime, uid: str | None = None, title: str = "Busy") -> RemoteEvent:
    return RemoteEvent(remote_id=remote_id, etag=f'"{remote_id}"', title=title, start=start,
                       end=start + timedelta(minutes=30), uid=uid)


def test_a_pushed_link_and_its_read_back_copy_are_saved_together(store, clock):
    appt = approved(store, clock)
    [link] = appt.links
    back = event(appt.id, appt.start, uid=appt.id, title="Teeth cleaning")

    saved = store.links.save(link.id, clock(), cache=(CAL, back, appt.id), state=SyncState.SYNCED,
                            remote_id=back.remote_id, etag=back.etag)

    assert saved.state is SyncState.SYNCED and saved.remote_id == appt.id
    cached = store.cache.by_remote_id(CAL, [appt.id])[appt.id]
    assert (cached.uid, cached.title, cached.start, cached.etag) == (appt.id, "Teeth cleaning", appt.start, back.etag)


def test_the_copy_is_cached_even_when_the_link_is_gone(store, clock):
    back = event("gone-link", clock(), uid="a" * 32)
    assert store.links.save(987654, clock(), cache=(CAL, back, "a" * 32), state=SyncState.SYNCED) is None
    assert store.cache.by_remote_id(CAL, ["gone-link"])["gone-link"].uid == "a" * 32


def test_bulk_upsert_updates_in_place_and_keeps_a_known_uid(store, clock):
    now = clock()
    window = (now - timedelta(days=1), now + timedelta(days=60))
    first = [event(f"r{i}", now + timedelta(hours=i), uid="b" * 32 if i == 0 else None) for i in range(1200)]
    store.cache.apply_changes(CAL, [ChangeBatch(first, [], "c1", full=True)], window, now)
    # a delta answer (Graph's carry no extended properties): the same ids, retitled, without uids
    again = [event(f"r{i}", now + timedelta(hours=i), title=f"Busy {i}") for i in range(0, 1200, 3)]
    changed = store.cache.apply_changes(CAL, [ChangeBatch(again, ["r1"], "c2")], window, now)

    assert changed == {e.remote_id for e in again} | {"r1"}
    cached = store.cache.by_remote_id(CAL, [f"r{i}" for i in range(1200)])
    assert len(cached) == 1199 and "r1" not in cached
    assert cached["r0"].uid == "b" * 32 and cached["r0"].title == "Busy 0"
    assert cached["r3"].title == "Busy 3" and cached["r4"].title == "Busy"
    assert store.cache.cursor(CAL)[0] == "c2"


def pages_then(pages, failure=None):
    """The pages of a read, then (if given) the failure the next page met."""
    yield from pages
    if failure is not None:
        raise failure


def test_each_page_is_cached_as_it_comes_and_a_read_that_fails_between_pages_keeps_the_old_cursor(store, clock):
    from receptionist.errors import TransientError

    now = clock()
    window = (now - timedelta(days=1), now + timedelta(days=60))
    store.cache.apply_changes(CAL, [ChangeBatch([event("old", now)], [], "c0", full=True)], window, now)
    seen_while_reading = []

    def read():
        yield ChangeBatch([event(f"p1-{i}", now + timedelta(hours=i)) for i in range(3)], ["old"], full=False)
        # the provider fetches the second page now: the first is already in the cache, the cursor not yet moved
        seen_while_reading.append((set(store.cache.by_remote_id(CAL, ["old", "p1-0", "p1-2"])),
                                   store.cache.cursor(CAL)[0]))
        yield from pages_then([], TransientError("Outlook dropped the connection", status=None))

    try:
        store.cache.apply_changes(CAL, read(), window, now)
    except TransientError:
        pass
    else:
        raise AssertionError("the failure between pages must reach the engine")

    assert seen_while_reading == [({"p1-0", "p1-2"}, "c0")]
    assert store.cache.cursor(CAL)[0] == "c0"  # the next read starts again from the old cursor
    # ... and that read, done whole, settles the cache and moves the cursor
    changed = store.cache.apply_changes(CAL, [ChangeBatch([event("p1-0", now)], ["old"]),
                                             ChangeBatch([event("p2-0", now)], [], "c1")], window, now)
    assert changed == {"p1-0", "p2-0", "old"} and store.cache.cursor(CAL)[0] == "c1"
    assert set(store.cache.by_remote_id(CAL, ["old", "p1-0", "p1-1", "p2-0"])) == {"p1-0", "p1-1", "p2-0"}


def test_a_full_listing_in_pages_drops_what_it_no_longer_holds_only_at_its_end(store, clock):
    now = clock()
    window = (now - timedelta(days=1), now + timedelta(days=60))
    store.cache.apply_changes(CAL, [ChangeBatch([event(f"r{i}", now) for i in range(4)], [], "c0", full=True)],
                              window, now)
    during = []

    def read():
        yield ChangeBatch([event("r0", now, title="Moved"), event("r1", now)], [], full=True)
        during.append(set(store.cache.by_remote_id(CAL, [f"r{i}" for i in range(4)])))
        # Graph's delta can report, on a later page, the removal of an event an earlier page listed
        yield ChangeBatch([event("new", now)], ["r1"], "c1", full=True)

    changed = store.cache.apply_changes(CAL, read(), window, now)

    assert during == [{"r0", "r1", "r2", "r3"}]  # r2 and r3 are not dropped before the listing has ended
    cached = store.cache.by_remote_id(CAL, [f"r{i}" for i in range(4)] + ["new"])
    assert set(cached) == {"r0", "new"} and cached["r0"].title == "Moved"
    assert changed == {"r0", "r1", "r2", "r3", "new"}
    assert store.cache.cursor(CAL) == ("c1", *window)
