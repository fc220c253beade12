"""The texts' error budget in SQL (``store.reliability.text_counts``) against the definition, written out here: a
text tried counts in each window holding when it settled (or when it was owed, while it still retries); it is good
when it went out and Twilio did not report it undelivered or failed; a skipped text or one not tried yet is not
counted. And an owner's acknowledgement by text (``store.texting.take_ack``) on PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from receptionist.domain.reliability import WINDOWS, WindowCount
from receptionist.store import tables as t

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
KINDS = ("sent", "delivered", "undelivered", "failed", "given-up", "retrying", "skipped", "waiting")
GOOD = ("sent", "delivered")
texts = st.lists(st.tuples(st.integers(-600, 8 * 24 * 60 * 60), st.sampled_from(KINDS)), max_size=40)


def rows_of(texts):
    outbox, statuses = [], []
    for i, (age, kind) in enumerate(texts):
        created, settled = NOW - timedelta(seconds=age + 10), NOW - timedelta(seconds=age)
        sid = f"SM{i:032d}" if kind in ("sent", "delivered", "undelivered", "failed") else None
        outbox.append({"topic": "sms.reminder", "payload": {}, "created_at": created, "available_at": created,
                       "attempts": 0 if kind == "waiting" else 1,
                       "done_at": None if kind in ("retrying", "waiting") else settled,
                       "provider_id": "" if kind == "skipped" else sid,
                       "last_error": "refused" if kind in ("given-up", "retrying") else None})
        if kind in ("delivered", "undelivered", "failed"):
            statuses.append({"sid": sid, "status": kind, "error_code": None, "updated_at": settled})
    return outbox, statuses


def reference(texts) -> dict:
    out = {}
    for w in WINDOWS:
        good = total = 0
        for age, kind in texts:
            if kind in ("skipped", "waiting"):
                continue
            at = NOW - timedelta(seconds=age + (10 if kind == "retrying" else 0))
            if NOW - w < at <= NOW:
                total += 1
                good += kind in GOOD
        out[w] = WindowCount(good, total)
    return out


def put(store, texts):
    outbox, statuses = rows_of(texts)
    with store.session() as s:
        s.execute(delete(t.SmsStatus))
        s.execute(delete(t.OutboxMessage))
        if outbox:
            s.execute(insert(t.OutboxMessage), outbox)
        if statuses:
            s.execute(insert(t.SmsStatus), statuses)
        s.commit()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts)
def test_the_text_counts_are_the_definition(store, texts):
    put(store, texts)
    assert store.reliability.text_counts(NOW) == reference(texts)


@pytest.mark.postgres
def test_the_text_counts_and_an_ack_by_text_on_postgresql(pg_url):
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    store = Store(engine)
    texts = [(30, "sent"), (40, "undelivered"), (4000, "given-up"), (50, "retrying"), (60, "skipped"),
             (90000, "delivered"), (70, "waiting")]
    put(store, texts)
    assert store.reliability.text_counts(NOW) == reference(texts)
    alert = store.reliability.raise_alert("held:google:primary", "google:primary", "held", "held", NOW)
    assert store.reliability.texted(alert.id, NOW, None)
    assert store.texting.take_ack("SMack1", "+13125550199", "OK", "Olga", None, NOW) == (alert.id, False)
    assert store.texting.take_ack("SMack1", "+13125550199", "OK", "Olga", None, NOW) == (None, True)
    assert store.reliability.alerts()[0].acked_by == "Olga"
    engine.dispose()
