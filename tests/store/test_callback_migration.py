"""Migration 0008: callbacks are made with their calls now, so the calls the old read-time sweep had not reached
(past its ``callbacks.scanned`` mark) get theirs once, and the mark's table goes."""

from datetime import timedelta
from types import SimpleNamespace

from alembic import command
from sqlalchemy import delete, insert, inspect, select, text

from receptionist.domain.callbacks import CallbackReason
from receptionist.store import tables as t
from receptionist.store.db import alembic_config, make_engine, upgrade


def migrate(engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_calls_past_the_old_sweep_get_their_callback_once(db_url, clock):
    engine = make_engine(db_url)
    migrate(engine, "0005")
    now = clock()
    with engine.begin() as conn:  # three calls as the old build stored them (plain inserts: its columns only)
        def call(call_id, intent, reason_codes):
            return conn.execute(insert(t.Call).values(
                platform="generic", call_id=call_id, received_at=now, occurred_at=now, duration_minutes=30,
                payload={}, intent=intent, reason_codes=reason_codes, issues=[],
                transcript=[["agent", "Hello!"], ["agent", f"Someone will call you about {call_id}."],
                            ["caller", "Thanks"]]).returning(t.Call.id)).scalar()
        swept = SimpleNamespace(id=call("a", "urgent", ["urgent"]), received_at=now)
        question = SimpleNamespace(id=call("b", "question", ["general inquiry"]), received_at=now)
        booking = SimpleNamespace(id=call("c", "book", []), received_at=now)
        conn.execute(insert(t.Callback).values(call_row_id=swept.id, reason="urgent", urgent=True, created_at=now,
                                               due_at=now + timedelta(minutes=30), version=1))
    with engine.begin() as conn:  # as the old build left it: the sweep had reached call a only
        conn.execute(delete(t.Callback).where(t.Callback.call_row_id != swept.id))
        conn.execute(text("INSERT INTO desk_marks (name, value) VALUES ('callbacks.scanned', :v)"), {"v": swept.id})
        before = conn.execute(select(t.Callback.id, t.Callback.due_at)).all()

    upgrade(engine)
    with engine.connect() as conn:
        rows = {r.call_row_id: r for r in conn.execute(select(t.Callback)).all()}
    assert set(rows) == {swept.id, question.id} and booking.id not in rows
    assert [(rows[swept.id].id, rows[swept.id].due_at)] == before  # the swept one is left as it was
    made = rows[question.id]
    assert (made.reason, made.urgent, made.due_at) == (CallbackReason.QUESTION.value, False,
                                                       question.received_at + timedelta(hours=2))
    assert "desk_marks" not in inspect(engine).get_table_names()
    # 0014: each callback keeps what the AI last told the caller, so the list reads no transcript
    assert {r.call_row_id: r.told for r in rows.values()} == {swept.id: "Someone will call you about a.",
                                                             question.id: "Someone will call you about b."}
    engine.dispose()
