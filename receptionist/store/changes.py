"""News of writes made by another process on the same database: another desk, a command (`receptionist proposals
approve ID` in a terminal), a script.

A desk's own writes are announced on its event bus as they are made; a write made elsewhere was found only by the
sync thread's next tick (30 s) and by no window at all. ``ChangeWatcher`` notices them within a second:

* **PostgreSQL**: every transaction that wrote sends ``NOTIFY receptionist_changes, '<origin>'`` as part of its
  commit (``mark_writes``, installed by ``db.make_engine`` on every engine, so a command's writes are announced
  too; the notification is delivered only if the transaction commits). The watcher holds one connection of its
  own in ``LISTEN`` and skips the notifications of its own process (same origin).
* **SQLite**: ``PRAGMA data_version`` on a connection of the watcher's own, read every half second (a read of
  the database header: microseconds). It changes whenever another connection committed. This process's own
  commits change it too, and SQLite does not say whose commit it was: a change with no own write since the last
  read is news at once; one while this process was writing is announced at most every ``AMBIGUOUS_SECONDS`` (a
  desk busy writing does not re-read its views every half second, and a write from elsewhere hidden among its
  own still shows within that time).

``on_change(certain)`` runs on the watcher's thread, once per batch of news; ``certain`` is False for SQLite's
"changed while we wrote too" (it may have been our own writes alone).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

CHANNEL = "receptionist_changes"
POLL_SECONDS = 0.5
AMBIGUOUS_SECONDS = 2.0
RECONNECT_SECONDS = 5.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@dataclass
class WriteMarks:
    """What an engine's connections have committed: its origin (sent with PostgreSQL's notifications) and when
    it last committed a write (``time.monotonic``)."""

    origin: str = field(default_factory=lambda: uuid.uuid4().hex)
    last_write: float = float("-inf")


_marks: "weakref.WeakKeyDictionary[Engine, WriteMarks]" = weakref.WeakKeyDictionary()


def marks_of(engine: Engine) -> WriteMarks:
    return _marks.setdefault(engine, WriteMarks())


def _wrote(context, statement: str) -> bool:  # noqa: ANN001
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return statement.lstrip()[:7].upper().startswith(_WRITES)


def mark_writes(engine: Engine) -> None:
    """Remember, per connection, whether its transaction wrote; at its commit, note the time and (PostgreSQL)
    send the notification inside the committing transaction."""
    marks = marks_of(engine)
    postgres = engine.dialect.name == "postgresql"

    @event.listens_for(engine, "after_cursor_execute")
    def _note(conn, cursor, statement, _params, context, _many):  # noqa: ANN001
        # a statement that changed no row (a lease not taken, an update that matched nothing) wrote nothing
        if not conn.info.get("wrote") and cursor.rowcount != 0 and _wrote(context, statement):
            conn.info["wrote"] = True

    @event.listens_for(engine, "commit")
    def _commit(conn):  # noqa: ANN001
        if not conn.info.pop("wrote", False):
            return
        marks.last_write = time.monotonic()
        if postgres:
            conn.connection.dbapi_connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, marks.origin))

    @event.listens_for(engine, "rollback")
    def _rollback(conn):  # noqa: ANN001
        conn.info.pop("wrote", None)


class ChangeWatcher:
    """A daemon thread calling ``on_change()`` when another process committed a write (see the module notes).
    Nothing for an in-memory database (no other process can write to it)."""

    def __init__(self, engine: Engine, on_change: Callable[[bool], None], *, poll_seconds: float = POLL_SECONDS):
        self.engine = engine
        self.on_change = on_change
        self.poll_seconds = poll_seconds
        self.marks = marks_of(engine)
        self._stop = threading.Event()
        self._ready = threading.Event()  # the first read (SQLite) or LISTEN (PostgreSQL) is done, or failed
        self._thread: threading.Thread | None = None
        url = engine.url
        self._file = (url.database or "").removeprefix("file:") if engine.dialect.name == "sqlite" else None

    @property
    def watching(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, wait_seconds: float = 5.0) -> "ChangeWatcher":
        """Start watching; a write committed after this returns is heard (it waits up to ``wait_seconds`` for
        the watcher's first read, or its LISTEN)."""
        if self._file == "" or self._file == ":memory:" or self.watching:
            return self
        self._stop.clear()
        self._ready.clear()
        run = self._poll_sqlite if self._file is not None else self._listen_postgres
        self._thread = threading.Thread(target=run, name="change-watcher", daemon=True)
        self._thread.start()
        self._ready.wait(wait_seconds)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _tell(self, certain: bool = True) -> None:
        try:
            self.on_change(certain)
        except Exception:  # a broken listener must not stop the watcher
            log.exception("reacting to a change made elsewhere failed")

    # --- SQLite -------------------------------------------------------------------------------------------------

    def _poll_sqlite(self) -> None:
        import sqlite3

        conn = None
        seen = None
        held_since: float | None = None  # a change while we wrote too, not yet announced
        last_told = float("-inf")
        try:
            while not self._stop.is_set():
                checked = time.monotonic()
                try:
                    if conn is None:
                        conn = sqlite3.connect(self._file, timeout=1.0, check_same_thread=False)
                    version = conn.execute("PRAGMA data_version").fetchone()[0]
                except sqlite3.Error as exc:
                    log.info("watching %s for changes: %s", self._file, exc)
                    self._ready.set()
                    if conn is not None:
                        conn.close()
                    conn = None
                    self._stop.wait(RECONNECT_SECONDS)
                    continue
                if seen is not None and version != seen:
                    ours = self.marks.last_write >= checked - 2 * self.poll_seconds
                    if not ours:
                        held_since = None
                        last_told = checked
                        self._tell()
                    elif held_since is None:
                        held_since = checked
                seen = version
                self._ready.set()
                if held_since is not None and checked - max(held_since, last_told) >= AMBIGUOUS_SECONDS - 1e-3:
                    held_since = None
                    last_told = checked
                    self._tell(certain=False)
                self._stop.wait(self.poll_seconds)
        finally:
            if conn is not None:
                conn.close()

    # --- PostgreSQL ---------------------------------------------------------------------------------------------

    def _listen_postgres(self) -> None:
        import psycopg

        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = None
        lost = False  # the connection was lost: what was written meanwhile was not heard
        try:
            while not self._stop.is_set():
                try:
                    if conn is None:
                        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
                        conn.execute(f"LISTEN {CHANNEL}")
                        self._ready.set()
                        if lost:
                            lost = False
                            self._tell()
                    heard = list(conn.notifies(timeout=self.poll_seconds, stop_after=1))
                    if heard:  # and whatever else has arrived with it
                        heard += conn.notifies(timeout=0.01)
                    news = [n for n in heard if n.payload != self.marks.origin]
                except psycopg.Error as exc:
                    log.info("listening for changes on %s: %s", self.engine.url.render_as_string(), exc)
                    self._ready.set()
                    if conn is not None:
                        conn.close()
                    conn, lost = None, True
                    self._stop.wait(RECONNECT_SECONDS)
                    continue
                if news:
                    self._tell()
        finally:
            if conn is not None:
                conn.close()
