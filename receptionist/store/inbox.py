"""Durable intake in the store: the inbox of raw deliveries (and its quarantine), live calls, polling cursors,
and a caller's history.

The door writes a delivery with ``store_delivery`` in one short transaction, synced to disk, before the platform is
answered, waiting a bounded time for a busy database (``ingest.store_wait_seconds``); the worker maps it later and
writes the outcome with ``apply`` — the call + proposal (or live-call update) and the inbox row's new state in one
transaction, so a delivery is never half-recorded. A failure of the database itself
(disk full, read-only, locked) is raised as ``StorageUnavailable`` so the door can answer 503 and the platform
retries; a value the database refuses for one delivery (a NUL on PostgreSQL, an out-of-range date) is raised as
``ValueRefused`` so that delivery alone goes to quarantine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from receptionist.domain.intake import (
    CallerHistory,
    DeliverySource,
    InboxRecord,
    InboxState,
    LiveCallRecord,
)
from receptionist.domain.models import AppointmentStatus, CallRecord
from receptionist.domain.payload import CallCapture
from receptionist.errors import EnvironmentProblem
from receptionist.store import tables as t
from receptionist.store.audit import audit_in
from receptionist.store.callbacks import DueRule, callback_for_new_call_in
from receptionist.store.db import bounded_write, checkpoint
from receptionist.store.records import call_record, call_row

log = logging.getLogger(__name__)

#: How long the door waits for the database by default (``ingest.store_wait_seconds`` in a profile).
DOOR_WAIT_SECONDS = 2.0


class StorageUnavailable(Exception):
    """The database could not take a write at all (disk full, read-only, locked, unreachable)."""


class ValueRefused(Exception):
    """The database refused a value of this one delivery (NUL on PostgreSQL, a date out of range...)."""


def _is_environment(exc: BaseException) -> bool:
    """Whether a database error is about the database (retry later) rather than about this row's values."""
    if isinstance(exc, OperationalError):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(word in text for word in ("disk", "full", "readonly", "read-only", "locked", "no space",
                                         "could not connect", "connection", "terminat"))


def is_storage_problem(exc: BaseException) -> bool:
    """Whether an error raised by a write is the database's own (full, read-only, locked, unreachable: retry
    later), not a refusal of this delivery's values."""
    return isinstance(exc, EnvironmentProblem) or (isinstance(exc, SQLAlchemyError) and _is_environment(exc))


@dataclass(frozen=True)
class Outcome:
    """What the worker decided for one inbox row (written by ``InboxStore.apply``)."""

    inbox_id: int
    state: InboxState
    reason: str | None = None
    capture: CallCapture | None = None  # a call to record
    payload: dict | None = None  # the call's payload as stored on the call row
    live: LiveCallRecord | None = None  # a live-call state to upsert


@dataclass(frozen=True)
class Applied:
    inbox_id: int
    state: InboxState
    call: CallRecord | None = None
    call_created: bool = False
    live: LiveCallRecord | None = None
    callback_made: bool = False  # the new call needs a person: its callback was made with it


class _Batch(NamedTuple):
    """A batch read and changed in the session, not yet written (``InboxStore._read_batch``)."""

    skipped: list[Applied]  # no longer pending: nothing to write
    outcomes: list[Outcome]  # to write
    inbox: dict[int, t.InboxDelivery]
    results: dict[int, tuple[t.Call | None, bool, t.LiveCall | None]]  # inbox id → (call, created, live call)
    created: list[tuple[Outcome, t.Call]]


def _record(row: t.InboxDelivery) -> InboxRecord:
    return InboxRecord(
        id=row.id, platform=row.platform, dedupe_key=row.dedupe_key, source=DeliverySource(row.source),
        received_at=row.received_at, url=row.url, headers=dict(row.headers or {}), body=bytes(row.body),
        state=InboxState(row.state), reason=row.reason, attempts=row.attempts, processed_at=row.processed_at,
        call_row_id=row.call_row_id,
    )


def _live(row: t.LiveCall) -> LiveCallRecord:
    return LiveCallRecord(
        platform=row.platform, call_id=row.call_id, caller_id_number=row.caller_id_number, status=row.status,
        started_at=row.started_at, updated_at=row.updated_at, ended_at=row.ended_at,
        transcript=tuple((s, x) for s, x in (row.transcript or ())),
    )


class InboxStore:
    """Inbox, quarantine, live calls and polling cursors: the store's room for the intake (``Store.inbox``, one
    per store, shared by the door, the worker and the window)."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]):
        self.engine = engine
        self.session = sessions
        # One writer at a time within this process: SQLite takes one writer anyway, and a thread that finds the
        # write lock taken sleeps in SQLite's busy handler with growing back-offs (up to 100 ms each), which is
        # what made the tail latency under load. A Python lock wakes the next writer at once.
        self._write_lock = threading.Lock()

    # --- the door -------------------------------------------------------------------------------------------------

    def store_delivery(self, *, platform: str, dedupe_key: str, source: DeliverySource, received_at: datetime,
                       url: str, headers: dict[str, str], body: bytes,
                       wait_seconds: float = DOOR_WAIT_SECONDS) -> tuple[int, bool]:
        """Write a delivery, durably (on SQLite, synced to disk) before returning; (id, True), or (existing id,
        False) when this dedupe key is already stored.

        Waits at most ``wait_seconds`` in all for the other writers of this process and for a lock another program
        holds, then raises ``StorageUnavailable`` (as when the database cannot take the write at all): the platform
        is answered 503 and retries, rather than timing out on a desk that waits 30 s."""
        deadline = time.monotonic() + wait_seconds
        key = dedupe_key[:300]
        if not self._write_lock.acquire(timeout=wait_seconds):
            raise StorageUnavailable(f"the database stayed busy with other writes for {wait_seconds:g} s")
        try:
            with self.engine.connect() as conn, \
                    bounded_write(conn, max(0.001, deadline - time.monotonic())):
                try:
                    with conn.begin():
                        inserted = conn.execute(insert(t.InboxDelivery.__table__).values(
                            platform=platform, dedupe_key=key, source=source.value, received_at=received_at,
                            url=url, headers=dict(headers), body=bytes(body), state=InboxState.PENDING.value,
                            attempts=0))
                    return inserted.inserted_primary_key[0], True
                except IntegrityError:
                    existing = conn.scalar(select(t.InboxDelivery.id).where(
                        t.InboxDelivery.platform == platform, t.InboxDelivery.dedupe_key == key))
                    conn.rollback()
                    if existing is None:
                        raise
                    return existing, False
        except (SQLAlchemyError, EnvironmentProblem) as exc:
            raise StorageUnavailable(f"the database did not take the delivery: {getattr(exc, 'orig', exc)}") \
                from exc
        finally:
            self._write_lock.release()

    def checkpoint(self) -> None:
        """SQLite's log copied into the database file (``db.checkpoint``); a failure is only logged."""
        try:
            checkpoint(self.engine)
        except (SQLAlchemyError, EnvironmentProblem) as exc:
            log.warning("could not checkpoint the database log: %s", getattr(exc, "orig", exc))

    # --- the worker -----------------------------------------------------------------------------------------------

    def pending_ids(self, limit: int = 500, after_id: int = 0) -> list[int]:
        with self.session() as s:
            return list(s.scalars(select(t.InboxDelivery.id).where(
                t.InboxDelivery.state == InboxState.PENDING.value, t.InboxDelivery.id > after_id)
                .order_by(t.InboxDelivery.id).limit(limit)))

    def get(self, inbox_id: int) -> InboxRecord | None:
        with self.session() as s:
            row = s.get(t.InboxDelivery, inbox_id)
            return _record(row) if row else None

    def get_many(self, ids: Iterable[int]) -> list[InboxRecord]:
        ids = list(ids)
        with self.session() as s:
            rows = s.scalars(select(t.InboxDelivery).where(t.InboxDelivery.id.in_(ids)).order_by(t.InboxDelivery.id))
            return [_record(r) for r in rows]

    def apply(self, outcomes: list[Outcome], now: datetime, due: DueRule) -> list[Applied]:
        """Write the outcomes of several deliveries in one transaction (a batch under load). A new call that needs
        a person gets its callback in the same transaction, due by ``due`` (the location's open hours).

        Raises ``StorageUnavailable`` (nothing written; retry later) or ``ValueRefused`` (nothing written; the
        caller retries each outcome alone to find the one the database refuses)."""
        try:
            with self.session() as s, s.no_autoflush:
                batch = self._read_batch(s, outcomes, now)
                with self._write_lock:  # only the writes: the door waits for as little as possible
                    applied = self._write_batch(s, batch, now, due)
                    s.commit()
                return applied
        except (StorageUnavailable, ValueRefused):
            raise
        except EnvironmentProblem as exc:  # the database itself (full, read-only, unreachable): retry later
            raise StorageUnavailable(str(exc)) from exc
        except (SQLAlchemyError, OverflowError, ValueError) as exc:
            if isinstance(exc, SQLAlchemyError) and _is_environment(exc):
                raise StorageUnavailable(str(getattr(exc, "orig", exc))) from exc
            raise ValueRefused(f"the database refused a value: {getattr(exc, 'orig', exc)}") from exc

    def _read_batch(self, s: Session, outcomes: list[Outcome], now: datetime) -> _Batch:
        """A few queries for the whole batch (inbox rows, calls already stored, live calls), and the changes made
        in the session, not yet written. The reads need no write lock: only this process's mapper (one pass at a
        time) changes pending rows, and on PostgreSQL FOR UPDATE keeps another desk's mapper out."""
        # FOR UPDATE (PostgreSQL): two desks mapping the same delivery take turns, and the second finds it done
        inbox = {r.id: r for r in s.scalars(select(t.InboxDelivery).where(
            t.InboxDelivery.id.in_([o.inbox_id for o in outcomes])).with_for_update())}
        missing = [o.inbox_id for o in outcomes if o.inbox_id not in inbox]
        if missing:
            raise ValueRefused(f"inbox rows {missing} are gone")
        already = [o for o in outcomes if inbox[o.inbox_id].state != InboxState.PENDING.value]
        outcomes = [o for o in outcomes if inbox[o.inbox_id].state == InboxState.PENDING.value]
        skipped = [Applied(o.inbox_id, InboxState(inbox[o.inbox_id].state)) for o in already]
        if not outcomes:
            return _Batch(skipped, [], inbox, {}, [])
        keys = {(o.capture.platform, o.capture.call_id) for o in outcomes if o.capture is not None}
        keys |= {(o.live.platform, o.live.call_id) for o in outcomes if o.live is not None}
        existing: dict[tuple[str, str], t.Call] = {}
        lives: dict[tuple[str, str], t.LiveCall] = {}
        if keys:
            ids = {k[1] for k in keys}
            for row in s.scalars(select(t.Call).options(selectinload(t.Call.proposal))
                                 .where(t.Call.call_id.in_(ids))):
                existing[(row.platform, row.call_id)] = row
            for row in s.scalars(select(t.LiveCall).where(t.LiveCall.call_id.in_(ids))):
                lives[(row.platform, row.call_id)] = row
        created: list[tuple[Outcome, t.Call]] = []
        results: dict[int, tuple[t.Call | None, bool, t.LiveCall | None]] = {}
        for o in outcomes:
            row = inbox[o.inbox_id]
            row.attempts = (row.attempts or 0) + 1
            row.processed_at = now
            row.state, row.reason = o.state.value, o.reason
            call, is_new, live = None, False, None
            if o.capture is not None:
                c = o.capture
                key = (c.platform, c.call_id)
                call = existing.get(key)
                if call is None:
                    call = call_row(c, o.payload or {}, row.received_at, inbox_id=row.id)
                    s.add(call)
                    existing[key] = call
                    created.append((o, call))
                    is_new = True
                else:
                    row.reason = o.reason or "the same call is already stored"
                lc = lives.get(key)
                if lc is not None and lc.ended_at is None:
                    lc.ended_at, lc.status, lc.updated_at = now, "ended", now
            if o.live is not None:
                live = self._upsert_live(s, lives, o.live, now)
            results[o.inbox_id] = (call, is_new, live)
        return _Batch(skipped, outcomes, inbox, results, created)

    @staticmethod
    def _write_batch(s: Session, batch: _Batch, now: datetime, due: DueRule) -> list[Applied]:
        """Flush the batch's changes, with the audit and the callback of each new call, in two flushes (the calls'
        ids first)."""
        skipped, outcomes, inbox, results, created = batch
        if not outcomes:
            return skipped
        s.flush()
        with_callback: set[int] = set()
        for o, call in created:
            inbox[o.inbox_id].call_row_id = call.id
            audit_in(s, now, "ingest", "call.received", "call", str(call.id),
                         {"platform": call.platform, "call_id": call.call_id, "inbox": o.inbox_id})
            c = o.capture
            if callback_for_new_call_in(s, call.id, c.intent, c.reason_codes, c.issues, call.transcript,
                                        call.received_at, due, now):
                with_callback.add(o.inbox_id)
        for o in outcomes:
            call = results[o.inbox_id][0]
            if call is not None and inbox[o.inbox_id].call_row_id is None:
                inbox[o.inbox_id].call_row_id = call.id
                if inbox[o.inbox_id].reason == "the same call is already stored":
                    inbox[o.inbox_id].reason = f"the same call is already stored (call #{call.id})"
        s.flush()
        out = skipped
        for o in outcomes:
            call, is_new, live = results[o.inbox_id]
            out.append(Applied(o.inbox_id, o.state, call_record(call) if call is not None else None, is_new,
                               _live(live) if live is not None else None, o.inbox_id in with_callback))
        return out

    @staticmethod
    def _upsert_live(s: Session, lives: dict, update_: LiveCallRecord, now: datetime) -> t.LiveCall:
        key = (update_.platform, update_.call_id)
        row = lives.get(key)
        ended = update_.status == "ended"
        if row is None:
            row = t.LiveCall(platform=update_.platform, call_id=update_.call_id, status=update_.status,
                             caller_id_number=update_.caller_id_number, started_at=update_.started_at,
                             updated_at=now, ended_at=now if ended else None,
                             transcript=[list(x) for x in update_.transcript])
            s.add(row)
            lives[key] = row
            return row
        if row.ended_at is not None and not ended:
            return row  # a late "in-progress" after the end changes nothing
        row.status = update_.status
        row.caller_id_number = update_.caller_id_number or row.caller_id_number
        row.started_at = row.started_at or update_.started_at
        if len(update_.transcript) >= len(row.transcript or ()):
            row.transcript = [list(x) for x in update_.transcript]
        row.updated_at = now
        if ended and row.ended_at is None:
            row.ended_at = now
        return row

    def quarantine(self, inbox_id: int, reason: str, now: datetime) -> None:
        """Mark one delivery quarantined (its own transaction: whatever failed before is rolled back)."""
        try:
            with self.session() as s:
                s.execute(update(t.InboxDelivery).where(t.InboxDelivery.id == inbox_id).values(
                    state=InboxState.QUARANTINED.value, reason=reason[:4000], processed_at=now,
                    attempts=t.InboxDelivery.attempts + 1))
                audit_in(s, now, "ingest", "delivery.quarantined", "inbox", str(inbox_id),
                             {"reason": reason[:500]})
                s.commit()
        except (SQLAlchemyError, EnvironmentProblem) as exc:
            raise StorageUnavailable(str(getattr(exc, "orig", exc))) from exc

    # --- quarantine (a person decides) ------------------------------------------------------------------------------

    def quarantined(self, limit: int = 200) -> list[InboxRecord]:
        with self.session() as s:
            rows = s.scalars(select(t.InboxDelivery).where(t.InboxDelivery.state == InboxState.QUARANTINED.value)
                             .order_by(t.InboxDelivery.id.desc()).limit(limit))
            return [_record(r) for r in rows]

    def quarantine_count(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(t.InboxDelivery).where(
                t.InboxDelivery.state == InboxState.QUARANTINED.value)) or 0

    def reopen(self, inbox_id: int, actor: str, now: datetime) -> bool:
        """A quarantined delivery back to pending (Replay). False if it is not in quarantine."""
        with self.session() as s:
            n = s.execute(update(t.InboxDelivery).where(
                t.InboxDelivery.id == inbox_id, t.InboxDelivery.state == InboxState.QUARANTINED.value)
                .values(state=InboxState.PENDING.value)).rowcount
            if n:
                audit_in(s, now, actor, "delivery.replayed", "inbox", str(inbox_id), {})
            s.commit()
            return bool(n)

    def discard(self, inbox_id: int, actor: str, now: datetime) -> bool:
        with self.session() as s:
            n = s.execute(update(t.InboxDelivery).where(
                t.InboxDelivery.id == inbox_id, t.InboxDelivery.state == InboxState.QUARANTINED.value)
                .values(state=InboxState.DISCARDED.value, processed_at=now)).rowcount
            if n:
                audit_in(s, now, actor, "delivery.discarded", "inbox", str(inbox_id), {})
            s.commit()
            return bool(n)

    def counts(self) -> dict[str, int]:
        with self.session() as s:
            return {state: n for state, n in s.execute(
                select(t.InboxDelivery.state, func.count()).group_by(t.InboxDelivery.state))}

    # --- live calls -------------------------------------------------------------------------------------------------

    def live_calls(self, since: datetime) -> list[LiveCallRecord]:
        """Calls in progress, and those that ended since ``since`` (newest first)."""
        with self.session() as s:
            rows = s.scalars(select(t.LiveCall).where(or_(t.LiveCall.ended_at.is_(None), t.LiveCall.ended_at >= since))
                             .order_by(t.LiveCall.updated_at.desc()).limit(100))
            return [_live(r) for r in rows]

    def expire_live(self, before: datetime, now: datetime) -> int:
        """Calls with no news since ``before`` are taken as ended (a platform that never sent the end)."""
        with self.session() as s:
            n = s.execute(update(t.LiveCall).where(t.LiveCall.ended_at.is_(None), t.LiveCall.updated_at < before)
                          .values(ended_at=now, status="ended")).rowcount
            s.commit()
            return n

    # --- polling cursors --------------------------------------------------------------------------------------------

    def get_poll_cursor(self, source: str) -> str | None:
        with self.session() as s:
            row = s.get(t.PollCursor, source)
            return row.cursor if row else None

    def set_poll_cursor(self, source: str, cursor: str | None, now: datetime) -> None:
        with self.session() as s:
            s.merge(t.PollCursor(source=source, cursor=cursor, updated_at=now))
            s.commit()

    # --- a caller's history -----------------------------------------------------------------------------------------

    def caller_history(self, number: str, now: datetime, before_call_row_id: int | None = None) -> CallerHistory:
        """Earlier calls from ``number`` (E.164; spoken or caller id) and appointments booked for it."""
        with self.session() as s:
            q = select(func.count(), func.max(t.Call.occurred_at)).where(
                or_(t.Call.callback_number == number, t.Call.caller_id_number == number))
            if before_call_row_id is not None:
                q = q.where(t.Call.id < before_call_row_id)
            calls, last_call = s.execute(q).one()
            names_q = select(t.Call.caller_name).where(
                or_(t.Call.callback_number == number, t.Call.caller_id_number == number),
                t.Call.caller_name.is_not(None)).distinct().limit(5)
            names = tuple(n for n in s.scalars(names_q) if n)
            live = t.Appointment.status != AppointmentStatus.CANCELLED.value
            appts = s.scalar(select(func.count()).select_from(t.Appointment).where(
                t.Appointment.callback_number == number, live)) or 0
            last_visit = s.scalar(select(func.max(t.Appointment.start_at)).where(
                and_(t.Appointment.callback_number == number, live, t.Appointment.start_at < now)))
            next_visit = s.scalar(select(func.min(t.Appointment.start_at)).where(
                and_(t.Appointment.callback_number == number, live, t.Appointment.start_at >= now)))
            return CallerHistory(number=number, earlier_calls=calls or 0, last_call_at=last_call,
                                 appointments=appts, last_visit=last_visit, next_visit=next_visit, names=names)


__all__ = ["Applied", "InboxStore", "Outcome", "StorageUnavailable", "ValueRefused", "is_storage_problem"]
