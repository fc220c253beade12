"""Migration 0008: callbacks are made with their calls now, so the calls the old read-time sweep had not reached
(past its ``callbacks.scanned`` mark) get theirs once, and the mark's table goes."""

from datetime import timedelta

from alembic import command
from sqlalchemy import delete, inspect, select, text

from receptionist.domain.callbacks import CallbackReason
from receptionist.store import Store
from receptionist.store import tables as t
from receptionist.store.db import alembic_config, make_engine, upgrade
from receptionist.services.context import location_rules
from receptionist.config import Profile
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload


def migrate(engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_calls_past_the_old_sweep_get_their_callback_once(db_url, clock):
    engine = make_engine(db_url)
    migrate(engine, "0005")
    store, rules = Store(engine), location_rules(Profile())
    swept = store_payload(store, payload(call_id="a", reason_codes=["urgent"]), rules, clock())
    question = store_payload(store, payload(call_id="b", reason_codes=["general inquiry"], summary="Delta Dental?"),
                             rules, clock())
    booking = store_payload(store, payload(call_id="c"), rules, clock())
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
    engine.dispose()
