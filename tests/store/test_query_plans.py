"""The queries the window and the sync thread run on every refresh or cycle use an index and list with a LIMIT,
so their cost does not grow with the years of appointments behind them (checked with EXPLAIN QUERY PLAN on the
statements each store method actually sends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from receptionist.domain.models import SyncState

BIG_TABLES = ("appointments", "calendar_links", "external_events", "calls", "booking_proposals")


def statements(store, call):
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert sent, "the call sent no query"
    return sent


def plan(store, statement, parameters) -> list[str]:
    with store.engine.connect() as conn:
        return [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]


def full_scans(store, call) -> list[str]:
    """Plan lines that read a big table row by row (``SCAN t`` without an index that bounds it)."""
    bad = []
    for statement, parameters in statements(store, call):
        for line in plan(store, statement, parameters):
            words = line.split()
            if words[:1] == ["SCAN"] and len(words) > 1 and words[1] in BIG_TABLES:
                bad.append(f"{line}    ← {' '.join(statement.split())[:160]}")
    return bad


@pytest.fixture
def seeded(store, clock):
    """A few hundred appointments with links and cached events. No ANALYZE: the app never gathers statistics, so
    the planner works from the declared indexes, as on a desk's database."""
    from tests.helpers.seed import seed_appointments

    seed_appointments(store, clock, 300)
    return store


def window(clock):
    return clock() - timedelta(days=1), clock() + timedelta(days=7)


VIEW_READS = {
    "appointments view page": lambda s, c: s.appointments.page(*window(c), limit=200),
    "appointments view counts": lambda s, c: s.appointments.counts(*window(c)),
    "week view appointments": lambda s, c: s.appointments.rows(*window(c)),
    "rows an event named": lambda s, c: s.appointments.rows_by_id([r.id for r in s.appointments.rows(*window(c))][:20]),
    "week view calendar events": lambda s, c: s.cache.events_between(*window(c)),
    "busy time for a proposal": lambda s, c: s.busy.blocks(c(), c() + timedelta(hours=1)),
    "attention counts": lambda s, c: s.links.counts(states=[SyncState.FAILED, SyncState.DRIFT]),
    "quiet sync cycle": lambda s, c: s.links.to_plan("google:primary", [], window(c)),
    "one link": lambda s, c: s.links.get(1),
    "one appointment": lambda s, c: s.appointments.get("0" * 32),
}


@pytest.mark.parametrize("name", list(VIEW_READS))
def test_view_and_cycle_reads_use_indexes(seeded, clock, name):
    assert full_scans(seeded, lambda: VIEW_READS[name](seeded, clock)) == []


def test_list_reads_are_limited(seeded, clock):
    [(statement, _)] = [s for s in statements(seeded, lambda: seeded.appointments.page(*window(clock), limit=50))
                        if "FROM appointments" in s[0]]
    assert "LIMIT" in statement.upper()
