"""The error budget's counts in SQL (``store.reliability.counts``) against the definition, written out here: a
write is good when it is Synced within the budget's delay; each window holds the writes settled in (now - w, now]."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from receptionist.domain.reliability import WINDOWS, WindowCount
from receptionist.store import tables as t

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)

outcomes = st.lists(st.tuples(st.sampled_from(["google:primary", "outlook:default"]),
                              st.integers(0, 8 * 24 * 60 * 60), st.integers(0, 2 * 60 * 60), st.booleans()),
                    max_size=40)


def reference(rows, within: timedelta) -> dict:
    out: dict = {}
    for cal, age, delay, ok in rows:
        settled = NOW - timedelta(seconds=age)
        for w in WINDOWS:
            if NOW - w < settled <= NOW:
                good, total = out.setdefault(cal, {}).get(w, (0, 0))
                out[cal][w] = (good + (ok and delay <= within.total_seconds()), total + 1)
    return {cal: {w: WindowCount(*by.get(w, (0, 0))) for w in WINDOWS} for cal, by in out.items()}


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])  # each example empties the table first
@given(outcomes, st.integers(1, 3600))
def test_the_sql_counts_are_the_definition(store, rows, within_seconds):
    within = timedelta(seconds=within_seconds)
    with store.session() as s:
        s.execute(delete(t.WriteOutcome))
        if rows:
            s.execute(insert(t.WriteOutcome), [
                {"calendar": cal, "appointment_id": "a", "owed_at": NOW - timedelta(seconds=age + delay),
                 "settled_at": NOW - timedelta(seconds=age), "delay_seconds": float(delay), "ok": ok}
                for cal, age, delay, ok in rows])
        s.commit()
    assert store.reliability.counts(NOW, within) == reference(rows, within)


@pytest.mark.postgres
def test_the_counts_and_alerts_on_postgresql(pg_url):
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    store = Store(engine)
    rows = [("google:primary", age, delay, ok) for age, delay, ok in
            ((10, 5, True), (200, 400, True), (4000, 1, False), (30000, 2, True), (600000, 3, True))]
    with store.session() as s:
        s.execute(insert(t.WriteOutcome), [
            {"calendar": cal, "appointment_id": "a", "owed_at": NOW - timedelta(seconds=age + delay),
             "settled_at": NOW - timedelta(seconds=age), "delay_seconds": float(delay), "ok": ok}
            for cal, age, delay, ok in rows])
        s.commit()
    within = timedelta(minutes=5)
    assert store.reliability.counts(NOW, within) == reference(rows, within)
    alert = store.reliability.raise_alert("silent:platform:vapi", "platform:vapi", "silent", "Vapi: silent", NOW)
    assert set(store.reliability.uncleared()) == {"silent:platform:vapi"}
    assert store.reliability.decide(alert.id, "ack", "Dana", NOW).acked_by == "Dana"
    assert store.reliability.clear(alert.id, NOW) and store.reliability.uncleared() == {}
    engine.dispose()
