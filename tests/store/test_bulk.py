"""Bulk loading: what goes in through ``tests.helpers.bulk`` reads back through the store's usual methods unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    ExternalEventRecord,
    LinkRecord,
    SyncState,
)
from tests.helpers.bulk import insert_appointments, insert_external_events

NOW = datetime(2026, 11, 23, 15, tzinfo=timezone.utc)


def appointment(n: int) -> AppointmentRecord:
    start = NOW + timedelta(days=n)
    links = tuple(LinkRecord(0, f"a{n}", cal, state, f"r{n}", '"e"', "h", None, 0, None, NOW)
                  for cal, state in (("google:primary", SyncState.SYNCED), ("outlook:default", SyncState.FAILED)))
    return AppointmentRecord(f"a{n}", f"Caller {n}", "+13125550142", None, "Checkup", start,
                             start + timedelta(minutes=30), "", AppointmentStatus.CONFIRMED, f"c{n}", 1, links)


def test_appointments_and_links_read_back_as_inserted(store):
    records = [appointment(n) for n in range(7)]
    assert insert_appointments(store, iter(records), NOW, chunk=3) == 7  # three chunks
    got = store.appointments.between()
    assert [replace(a, links=()) for a in got] == [replace(a, links=()) for a in records]
    assert [[(link.calendar, link.state, link.remote_id, link.synced_at) for link in a.links] for a in got] == \
        [[(link.calendar, link.state, link.remote_id, link.synced_at) for link in a.links] for a in records]
    assert store.links.counts()["outlook:default"]["failed"] == 7


def test_external_events_read_back_and_a_duplicate_fails_its_chunk(store):
    events = [ExternalEventRecord("google:primary", f"e{n}", f"Meeting {n}", NOW + timedelta(hours=n),
                                  NOW + timedelta(hours=n, minutes=30), True, False, None) for n in range(4)]
    leave = ExternalEventRecord("outlook:default", "leave", "Parental leave", NOW - timedelta(days=60),
                                NOW + timedelta(days=60), True, True, None)  # longer than the store's LONG_EVENT
    assert insert_external_events(store, events + [leave], NOW) == 5
    assert store.cache.events_between(NOW, NOW + timedelta(days=1)) == [leave] + events
    with pytest.raises(IntegrityError):
        insert_external_events(store, events[:1], NOW)
    assert len(store.cache.events_between(NOW, NOW + timedelta(days=1))) == 5
