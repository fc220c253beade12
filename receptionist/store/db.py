"""Engine, sessions and schema version handling.

SQLite (the default, in the platform's data folder) runs in WAL mode with foreign keys on and a busy timeout,
so the UI, the webhook thread and the sync thread can share it.  PostgreSQL (``postgresql+psycopg://...``) is for
several desks sharing one database.

Durability on SQLite: ``synchronous=NORMAL`` in WAL mode does not sync the log at each commit. A commit survives the
app crashing (it is in the OS's file cache), but a power cut or an OS crash may roll the database back to its last
sync — consistent, without the latest transactions. That is accepted for everything a desk can redo (the mapper's
outcome: an inbox row rolled back to pending is mapped again at start; a person's last click), not for a delivery the
platform was told we have: ``bounded_write`` syncs the log before the door's commit returns (``synchronous=FULL`` for
that one transaction), which also makes every earlier commit durable.

Errors of the environment (disk full, not a database, damaged, read-only, server unreachable) are turned into an
``EnvironmentProblem`` sentence on every engine, in one ``handle_error`` hook, by ``errors.environment_problem``;
any other database error stays an exception (a bug).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from receptionist import errors
from receptionist.errors import UserError
from receptionist.store import funnel
from receptionist.paths import default_db_url, migrations_dir
from receptionist.store.changes import mark_writes

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

DB_ENV = "RECEPTIONIST_DB"

#: How long a SQLite connection waits for another writer (another thread, or another program such as a CLI command)
#: before its statement fails "database is locked". ``bounded_write`` shortens it for one transaction.
BUSY_TIMEOUT_SECONDS = 30


def resolve_db_url(cli_value: str | None, location_id: str | None = None) -> str:
    """``--db`` wins, then ``$RECEPTIONIST_DB``, then SQLite in the location's data folder. A value that is a path
    rather than a URL (``/srv/desk.db``, ``desk.db``) is that SQLite file."""
    value = cli_value or os.environ.get(DB_ENV)
    if value and "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    return value or default_db_url(location_id)


def describe_database(url) -> str:  # noqa: ANN001
    """How a sentence names the database: the SQLite file, or the server and database name."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if name in ("", ":memory:"):
            return "the in-memory database"
        return f"the database file {name.removeprefix('file:')}"
    return f"the database {parsed.database or ''} on {parsed.host or 'localhost'}:{parsed.port or 5432}"


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UserError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not the psycopg2 default
    kwargs: dict = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except ModuleNotFoundError as exc:
        raise UserError(f"no driver for {parsed.drivername}: pip install 'receptionist-console[postgres]' ({exc})")
    what = describe_database(parsed)
    file = (parsed.database or "").removeprefix("file:") if parsed.get_backend_name() == "sqlite" else None

    @event.listens_for(engine, "handle_error")
    def _environment_problems(context):  # noqa: ANN001
        if context.is_pre_ping:  # a dead pooled connection: the pool reconnects by itself
            return
        problem = errors.environment_problem(context.original_exception, what=what, path=file or None)
        if problem is not None:
            raise errors.report(problem) from context.original_exception

    mark_writes(engine)  # other processes hear of this one's writes (store/changes.py)
    if engine.dialect.name == "sqlite":
        memory = parsed.database in (None, "", ":memory:")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


@contextmanager
def bounded_write(conn: Connection, wait_seconds: float) -> Iterator[Connection]:
    """Transactions on ``conn`` inside this block wait at most ``wait_seconds`` for a lock another writer holds (then
    the statement fails, "database is locked"), and on SQLite each commit syncs the log to disk first (durable
    through a power cut, see the module docstring).

    SQLite keeps both as settings of the connection: they are set here and put back before the connection goes
    back to the pool. PostgreSQL: ``lock_timeout`` for this session, reset likewise."""
    wait_ms = max(1, int(wait_seconds * 1000))
    if conn.dialect.name != "sqlite":
        conn.exec_driver_sql(f"SET lock_timeout = {wait_ms}")
        conn.commit()
        try:
            yield conn
        finally:
            conn.rollback()
            conn.exec_driver_sql("RESET lock_timeout")
            conn.commit()
        return
    raw = conn.connection.dbapi_connection
    busy = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    synchronous = raw.execute("PRAGMA synchronous").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {wait_ms}")
    raw.execute("PRAGMA synchronous = FULL")
    try:
        yield conn
    finally:
        raw.execute(f"PRAGMA busy_timeout = {busy}")
        raw.execute(f"PRAGMA synchronous = {synchronous}")


def checkpoint(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database file now (PASSIVE: writers go on meanwhile), so that SQLite's
    own automatic checkpoint — every 1,000 pages, run by whichever commit crosses the mark, the door's included —
    seldom has anything to do. Nothing on other databases."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    sessions = sessionmaker(engine, expire_on_commit=False)
    funnel.watch(sessions)
    return sessions


def alembic_config(engine: Engine | None = None) -> "Config":
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


#: a migration's file name: its revision id, then a slug (``0003_durable_inbox.py`` is revision ``0003``)
_VERSION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def head_revision() -> str:
    """This build's head revision, from the migration file names alone (no alembic import on start-up).

    Revisions form one line and each file is named by its revision id, so the head is the highest; a test holds
    this to what alembic's own ``ScriptDirectory`` says."""
    revisions = [m.group(1) for f in migrations_dir().joinpath("versions").iterdir()
                 if (m := _VERSION_FILE.match(f.name))]
    return max(revisions)


def current_revision(engine: Engine) -> str | None:
    """The revision the database records, or ``None`` for a database alembic has never touched."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def schema_status(engine: Engine) -> tuple[str | None, str]:
    """(current revision in the database, head revision this build knows)."""
    return current_revision(engine), head_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to this build's head. Refuses a database made by a newer build. Returns (from, to).

    A database already at the head (every start but the first after an upgrade) costs one query: alembic, a
    quarter of a second of imports, is loaded only when there is something to migrate."""
    try:
        current, head = schema_status(engine)
    except OperationalError as exc:  # not one errors.environment_problem recognised: still say which database
        raise UserError(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {exc.orig}")
    if current == head:
        return current, head
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:  # alembic raises a few kinds for an unknown revision
            raise UserError(
                f"the database {engine.url.render_as_string(hide_password=True)} was written by a newer version of "
                f"Receptionist Console (schema {current}; this version knows up to {head}). Install the newer "
                "version, or start this one with another database (--db)."
            ) from None
    log.info("upgrading database schema %s → %s", current, head)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current, head
