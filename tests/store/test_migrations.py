from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import pytest

from receptionist.errors import UserError
from receptionist.store.db import make_engine, schema_status, upgrade
from receptionist.store.tables import Base


def test_upgrade_from_empty_to_head_creates_every_table(db_url):
    engine = make_engine(db_url)
    before, head = upgrade(engine)
    assert before is None
    assert schema_status(engine) == (head, head)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_models_and_migrations_agree(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db_url):
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upgrade_is_idempotent(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    before, head = upgrade(engine)
    assert before == head


def test_a_newer_database_is_refused_with_a_clear_message(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(UserError, match="newer version of Receptionist Console"):
        upgrade(engine)
    with engine.connect() as conn:  # and nothing was touched
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_from_the_future"


def test_bad_database_url_is_a_user_error():
    with pytest.raises(UserError, match="not valid"):
        make_engine("not a url")


def test_the_head_read_from_file_names_is_alembics_head_and_history_is_one_line():
    """``head_revision`` spares start-up the alembic import by trusting the file names; hold them to alembic."""
    from alembic.script import ScriptDirectory

    from receptionist.store.db import _VERSION_FILE, alembic_config, head_revision

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]
    for revision in script.walk_revisions():
        assert _VERSION_FILE.match(revision.path.rsplit("/", 1)[-1]).group(1) == revision.revision


def test_an_up_to_date_database_is_opened_without_importing_alembic(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    upgrade(make_engine(url))
    probe = ("import sys; from receptionist.store.db import make_engine, upgrade; "
             f"print(upgrade(make_engine({url!r}))); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out[-1] == "False"
