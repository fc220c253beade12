"""Relisting: a window listed again parses only the events whose version changed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from receptionist.domain.ports import RemoteEvent
from receptionist.providers.relisting import Relisting

T0 = datetime(2026, 12, 8, 15, tzinfo=timezone.utc)


class Parser:
    def __init__(self):
        self.parsed: list[str] = []

    def __call__(self, item: dict) -> RemoteEvent:
        self.parsed.append(item["id"])
        return RemoteEvent(item["id"], item.get("etag") or "", item["title"], T0, T0 + timedelta(minutes=30))


def listing(*items: dict):
    return [(item["id"], item.get("etag"), item) for item in items]


def test_an_event_listed_again_at_its_version_is_not_parsed_again_and_a_changed_one_is():
    relisting, parse = Relisting(), Parser()
    a, b = {"id": "a", "etag": "1", "title": "A"}, {"id": "b", "etag": "1", "title": "B"}
    first = relisting.read("cal", listing(a, b), parse)
    again = relisting.read("cal", listing(a, {"id": "b", "etag": "2", "title": "B2"},
                                          {"id": "c", "etag": "1", "title": "C"}), parse)

    assert parse.parsed == ["a", "b", "b", "c"]
    assert again[0] is first[0] and [e.title for e in again] == ["A", "B2", "C"]


def test_no_version_is_always_parsed_and_calendars_and_vanished_events_are_kept_apart():
    relisting, parse = Relisting(), Parser()
    relisting.read("cal", listing({"id": "a", "title": "A"}, {"id": "b", "etag": "1", "title": "B"}), parse)
    relisting.read("cal", listing({"id": "a", "title": "A"}), parse)  # b vanished from the window
    relisting.read("other", listing({"id": "a", "etag": "1", "title": "A elsewhere"}), parse)
    back = relisting.read("cal", listing({"id": "b", "etag": "1", "title": "B"}), parse)

    assert parse.parsed == ["a", "b", "a", "a", "b"] and back[0].title == "B"


def test_the_same_id_twice_in_one_listing_is_one_event_as_last_listed():
    relisting, parse = Relisting(), Parser()
    twice = listing({"id": "a", "etag": "1", "title": "A"}, {"id": "a", "etag": "2", "title": "A2"})
    events = relisting.read("cal", twice, parse)
    assert [e.title for e in events] == ["A2"]
