"""Bulk loading of plain records into the store with SQLAlchemy Core: thousands of rows per statement.

For filling a database that does not hold these rows yet (``bench/seed.py``: ten years of a busy desk; the
benchmarks' fixtures). A desk never bulk-loads: this is set-up for measurements, kept out of the product. Rows are
inserted, not merged: a row that already exists fails the chunk, which is rolled back. Each chunk is one
transaction, so a large load neither holds one huge transaction nor commits row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import TypeVar

from sqlalchemy import func, insert, select

from receptionist.domain.models import AppointmentRecord, ExternalEventRecord
from receptionist.domain.payload import CallCapture
from receptionist.store import tables as t
from receptionist.store import Store
from receptionist.store import funnel
from receptionist.store.base import LONG_EVENT
from receptionist.store.records import call_row

CHUNK = 5000
R = TypeVar("R")


def _chunks(records: Iterable[R], size: int) -> Iterator[list[R]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def insert_appointments(store: Store, appointments: Iterable[AppointmentRecord], now: datetime,
                        chunk: int = CHUNK) -> int:
    """Insert appointments with their link rows (``record.links``; their ids are assigned by the database).
    Returns how many appointments were inserted."""
    count = 0
    for batch in _chunks(appointments, chunk):
        rows = [{"id": a.id, "caller_name": a.caller_name, "callback_number": a.callback_number,
                 "account_id": a.account_id, "service": a.service, "start_at": a.start, "end_at": a.end,
                 "notes": a.notes, "status": a.status.value, "call_id": a.call_id,
                 "title_override": a.title_override, "description_override": a.description_override,
                 "cancel_reason": a.cancel_reason, "created_at": now, "updated_at": now, "version": a.version}
                for a in batch]
        links = [{"appointment_id": a.id, "calendar": link.calendar, "state": link.state.value,
                  "remote_id": link.remote_id, "etag": link.etag, "content_hash": link.content_hash,
                  "last_error": link.last_error, "attempts": link.attempts, "next_attempt_at": link.next_attempt_at,
                  "synced_at": link.synced_at, "detail": link.detail, "generation": link.generation,
                  "updated_at": now} for a in batch for link in a.links]
        with store.engine.begin() as conn:
            conn.execute(insert(t.Appointment), rows)
            if links:
                conn.execute(insert(t.CalendarLink), links)
        count += len(batch)
    return count


def insert_external_events(store: Store, events: Iterable[ExternalEventRecord], now: datetime,
                           chunk: int = CHUNK) -> int:
    """Insert events into the calendars' cache (as a pull would leave them). Returns how many were inserted."""
    count = 0
    for batch in _chunks(events, chunk):
        rows = [{"calendar": e.calendar, "remote_id": e.remote_id, "etag": e.etag, "title": e.title,
                 "description": e.description, "location": e.location, "start_at": e.start, "end_at": e.end,
                 "long_span": e.end - e.start > LONG_EVENT, "busy": e.busy, "all_day": e.all_day, "uid": e.uid,
                 "updated_at": now} for e in batch]
        with store.engine.begin() as conn:
            conn.execute(insert(t.ExternalEvent), rows)
        count += len(batch)
    return count




def insert_calls(store: Store, captures: Iterable[tuple[CallCapture, datetime]], chunk: int = CHUNK) -> int:
    """Insert calls as the intake stores them (``call_row``: the call and its pending proposal), without their
    inbox rows, each (capture, received at). Returns how many were inserted."""
    count = 0
    with store.engine.connect() as conn:
        next_id = (conn.scalar(select(func.max(t.Call.id))) or 0) + 1
    call_columns = [c.key for c in t.Call.__table__.columns]
    proposal_columns = [c.key for c in t.BookingProposal.__table__.columns]
    for batch in _chunks(captures, chunk):
        calls, proposals = [], []
        for capture, received_at in batch:
            row = call_row(capture, {}, received_at)
            row.id, row.proposal.call_row_id, row.proposal.version = next_id, next_id, 1
            next_id += 1
            calls.append({k: getattr(row, k) for k in call_columns})
            proposals.append({k: getattr(row.proposal, k) for k in proposal_columns if k != "id"})
        with store.engine.begin() as conn:
            conn.execute(insert(t.Call), calls)
            conn.execute(insert(t.BookingProposal), proposals)
            funnel.refresh(conn, [c["id"] for c in calls])  # as the store's flush keeps it
        count += len(batch)
    return count


__all__ = ["insert_appointments", "insert_calls", "insert_external_events"]
