"""Alembic environment. The connection (or engine) is handed in by ``receptionist.store.db``; run from the
command line (``alembic -c migrations/alembic.ini``) it reads the URL the app would use (``--db``/``RECEPTIONIST_DB``)."""

from alembic import context

from receptionist.store.db import make_engine, resolve_db_url
from receptionist.store.tables import Base

target_metadata = Base.metadata
config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes.get("engine") or make_engine(resolve_db_url(None))
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not supported; run against a database")
run_migrations_online()
