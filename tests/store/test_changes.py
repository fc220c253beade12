"""News of writes made by another process (store/changes.py): SQLite's data_version, PostgreSQL's LISTEN/NOTIFY.
A second engine on the same database stands for the other process (each engine has its own origin)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from receptionist.store.changes import ChangeWatcher, marks_of
from receptionist.store.db import make_engine, upgrade
from tests.helpers.waiting import wait_for


def write(engine, who: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) "
                          "VALUES (:at, :who, 'test.write', 'test', 'x', '{}')"),
                     {"at": datetime.now(timezone.utc), "who": who})


@pytest.fixture(params=["sqlite", "postgresql"])
def two_engines(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    here, there = make_engine(url), make_engine(url)
    upgrade(there)  # written by the other process: nothing of this one's own is recent
    yield here, there
    here.dispose()
    there.dispose()


def test_a_write_by_another_process_is_heard(two_engines):
    here, there = two_engines
    heard = []
    watcher = ChangeWatcher(here, heard.append, poll_seconds=0.05).start()
    try:
        assert watcher.watching and not heard
        write(there, "desk-2")
        assert wait_for(lambda: heard)
        assert heard[0] is True  # nothing of our own was written: certain
    finally:
        watcher.stop()
    assert not watcher.watching


def test_postgresql_skips_its_own_notifications(pg_url):
    here, there = make_engine(pg_url), make_engine(pg_url)
    upgrade(here)
    heard = []
    watcher = ChangeWatcher(here, lambda certain: heard.append("told"), poll_seconds=0.05).start()
    try:
        for i in range(5):
            write(here, f"own-{i}")
        write(there, "desk-2")  # delivered after the five of our own, in commit order
        assert wait_for(lambda: heard)
        assert heard == ["told"]
    finally:
        watcher.stop()
        here.dispose()
        there.dispose()


def test_a_transaction_rolled_back_only_reading_or_changing_no_row_marks_no_write(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    upgrade(engine)
    marks = marks_of(engine)
    before = marks.last_write
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM audit_log"))
        conn.commit()
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) "
                          "VALUES (:at, 'x', 'a', 'e', 's', '{}')"), {"at": datetime.now(timezone.utc)})
        conn.rollback()
    with engine.begin() as conn:  # an update that matched no row (a lease another desk holds) wrote nothing
        conn.execute(text("UPDATE audit_log SET actor = 'y' WHERE id = -1"))
    assert marks.last_write == before
    write(engine, "desk")
    assert marks.last_write > before
    engine.dispose()


def test_an_in_memory_database_is_not_watched():
    engine = make_engine("sqlite://")
    watcher = ChangeWatcher(engine, lambda certain: None).start()
    assert not watcher.watching
    watcher.stop()
    engine.dispose()
