"""What every room of the store shares: its session factory, the optimistic-locking error, and the indexed
window conditions the queries are built from."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, true
from sqlalchemy.orm import Session, sessionmaker

from receptionist.domain.bookings import MAX_APPOINTMENT
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.errors import UserError
from receptionist.store import tables as t

LONG_EVENT = timedelta(days=31)  # calendar events longer than this are flagged ``long_span`` (and indexed)
# Link states a change of the appointment puts back to Pending; Conflict/Drift wait for a person and Reconnect for
# a sign-in (the plan pushes them once that happens).
REPUSH_STATES = (SyncState.SYNCED.value, SyncState.FAILED.value, SyncState.PENDING.value)


class StaleEdit(UserError):
    """Someone else (another desk) changed or decided this item first."""


class Room:
    """One part of the store over the shared session factory. Thread-safe: each method opens and closes its own
    session, so no ORM object leaves the store and the window, the webhook and the sync thread never share one."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.session = sessions


def commit_or_stale(s: Session) -> None:
    """Commit; a row whose version moved under us (another desk saved first) is a ``StaleEdit``."""
    from sqlalchemy.orm.exc import StaleDataError

    try:
        s.commit()
    except StaleDataError:
        s.rollback()
        raise StaleEdit("this item was changed at another desk at the same moment; reopen it") from None


#: PostgreSQL advisory lock key of "who books time": one per database, taken for the length of a booking's transaction.
BOOKING_LOCK = 0x5EC7_0B00


def lock_bookings(s: Session) -> None:
    """Before a transaction reads whether a slot is free and then books it: wait for any other desk's booking
    transaction to finish, and hold this one's place until commit, so the read sees every booking committed
    before it and none lands between the read and the write (the read is then exact, not a snapshot race).

    PostgreSQL: a transaction-scoped advisory lock (READ COMMITTED reads after it see the winner's row).
    SQLite: a write that matches no row takes the database's write lock and starts the transaction there
    (Python's sqlite3 opens a transaction only at the first write, so the read after it is in the same one)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(select(text("pg_advisory_xact_lock(:key)")).params(key=BOOKING_LOCK))
    else:
        s.execute(text("UPDATE slot_holds SET id = id WHERE 1 = 0"))


def same_resource(column, resource: str | None):  # noqa: ANN001 - a resource column
    """Rows whose resource meets ``resource``: a booking of the location as a whole (None) meets every one, and
    one of a resource meets that resource's and the location's."""
    return true() if resource is None else or_(column.is_(None), column == resource)


def refuse_new_clash(s: Session, start: datetime, end: datetime, seen: frozenset[str] | None,
                     exclude: str | None = None, resource: str | None = None) -> None:
    """Inside the transaction that writes a booking at [start, end) (on ``resource``): an appointment overlapping
    it that the check before did not see (``seen``: the ids it saw) was written by another desk since, so this
    write is refused (``StaleEdit``) rather than booking the time twice; one on another resource is no clash.
    ``seen`` None: no check (a write that is not a booking)."""
    if seen is None:
        return
    lock_bookings(s)
    A = t.Appointment
    query = (select(A.id, A.service, A.caller_name)
             .where(appointment_overlaps(start, end), A.status != AppointmentStatus.CANCELLED.value,
                    same_resource(A.resource, resource)))
    if exclude is not None:
        query = query.where(A.id != exclude)
    for appointment_id, service, caller in s.execute(query):
        if appointment_id not in seen:
            s.rollback()
            raise StaleEdit(f"{service or 'an appointment'} for {caller or 'a caller'} was booked at this time at "
                            "another desk a moment ago; choose another time")


def appointment_overlaps(start: datetime, end: datetime):
    """Appointments overlapping [start, end), bounded below too (no appointment lasts longer than
    ``MAX_APPOINTMENT``) so the window index is searched, not scanned, whatever the years of data before it."""
    A = t.Appointment
    return and_(A.start_at < end, A.end_at > start, A.start_at > start - MAX_APPOINTMENT)


def event_overlaps(start: datetime, end: datetime):
    """Cached calendar events overlapping [start, end): a bounded index search, plus the few long ones (a month's
    leave) found by their own index."""
    E = t.ExternalEvent
    return and_(E.start_at < end, E.end_at > start, or_(E.start_at > start - LONG_EVENT, E.long_span.is_(True)))


def chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
