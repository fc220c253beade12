"""A read in pages (``read_changes``) and the same read as one batch (``collect_changes``) say the same thing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from receptionist.domain.ports import ChangeBatch, RemoteEvent, change_pages, collect_changes, page_of_changes

T0 = datetime(2026, 12, 7, 15, tzinfo=timezone.utc)


def listed(remote_id: str, version: int) -> RemoteEvent:
    return RemoteEvent(remote_id=remote_id, etag=f'"{version}"', title=f"v{version}", start=T0,
                       end=T0 + timedelta(minutes=30))


def page_of(mentions: list[tuple[str, int | None]], cursor=None, full=False) -> ChangeBatch:
    """A page as a provider makes one from what the service said: (id, version) listed, (id, None) removed."""
    return page_of_changes([i if v is None else listed(i, v) for i, v in mentions], cursor, full)


mention = st.tuples(st.sampled_from("abcde"), st.one_of(st.none(), st.integers(0, 9)))


@given(st.lists(st.lists(mention, max_size=6), min_size=1, max_size=5), st.booleans())
def test_pages_and_their_collection_leave_each_id_as_its_last_mention_and_applying_them_in_turn_agrees(pages, full):
    batches = [page_of(p, cursor="next" if n == len(pages) - 1 else None, full=full) for n, p in enumerate(pages)]
    for page, batch in zip(pages, batches):
        assert not {e.remote_id for e in batch.events} & set(batch.deleted_ids)
        listed_last = {i: f"v{v}" for i, v in dict(page).items() if v is not None}
        assert {e.remote_id: e.title for e in batch.events} == listed_last
    whole = collect_changes(batches)

    last: dict[str, int | None] = {}
    for p in pages:
        last.update(p)
    assert {e.remote_id: int(e.etag.strip('"')) for e in whole.events} == {
        i: v for i, v in last.items() if v is not None}
    assert set(whole.deleted_ids) == {i for i, v in last.items() if v is None}
    assert (whole.cursor, whole.full) == ("next", full)

    # a cache that applies page after page (deletions, then the page's events) ends where the collected batch puts it
    cache: dict[str, str] = {"a": '"old"', "z": '"old"'}
    for batch in batches:
        for remote_id in batch.deleted_ids:
            cache.pop(remote_id, None)
        cache.update({e.remote_id: e.etag for e in batch.events})
    at_once = {"a": '"old"', "z": '"old"'}
    for remote_id in whole.deleted_ids:
        at_once.pop(remote_id, None)
    at_once.update({e.remote_id: e.etag for e in whole.events})
    assert cache == at_once


class OneBatch:
    """A provider with no pages of its own."""

    def __init__(self):
        self.asked = []

    def list_changes(self, calendar_id, cursor, start, end):
        self.asked.append((calendar_id, cursor))
        return ChangeBatch(events=[listed("a", 1)], cursor="c2")


def test_a_provider_without_pages_is_read_as_one_page():
    provider = OneBatch()
    pages = list(change_pages(provider, "cal", "c1", T0, T0 + timedelta(days=1)))
    assert provider.asked == [("cal", "c1")] and [p.cursor for p in pages] == ["c2"]
