"""The callback desk's room: callbacks made from the calls that need a person, and what a person did with each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from receptionist.domain.callbacks import (
    CallbackCursor,
    CallbackNeed,
    CallbackOutcome,
    CallbackReason,
    CallbackRecord,
    ai_summary,
    ai_told,
    callback_need,
)
from receptionist.domain.models import FieldIssue, Intent
from receptionist.errors import UserError
from receptionist.store import tables as t
from receptionist.store.audit import audit_in
from receptionist.store.base import Room, StaleEdit, commit_or_stale

#: when a callback of this need is due: (received_at, urgent) → UTC instant (``domain.callbacks.callback_due``)
DueRule = Callable[[datetime, bool], datetime]


def callback_record(row: Row) -> CallbackRecord:
    """A row of ``_query``, unpacked by position (a named read of a row's column costs more than the whole tuple)."""
    (id_, call_row_id, reason, urgent, note, created_at, due_at, assignee, called_at, called_by, call_sid, outcome,
     appointment_id, done_at, done_by, version, told, caller_name, callback_number, caller_id_number, intent,
     service, requested_start_raw, requested_start, summary, message, platform, proposal_start) = row
    start = proposal_start if proposal_start is not None else requested_start
    requested = requested_start_raw or (start.isoformat() if start else None)
    number = callback_number or caller_id_number
    said = ai_summary(caller_name, number, Intent(intent or "book"), service, requested, summary, message, told)
    return CallbackRecord(
        id=id_, call_row_id=call_row_id, reason=CallbackReason(reason), urgent=bool(urgent), due_at=due_at,
        created_at=created_at, summary=said, number=number, platform=platform, note=note, assignee=assignee,
        outcome=CallbackOutcome(outcome) if outcome else None, appointment_id=appointment_id, done_at=done_at,
        done_by=done_by, called_at=called_at, called_by=called_by, call_sid=call_sid, version=version)


def _query():
    """The callbacks with what the desk shows of their calls, as plain rows in ``callback_record``'s order (no ORM
    objects: a page of the list is one query and no identity map); the call's transcript (its excerpt is the
    callback's ``told``), payload, raw and custom fields stay in the database."""
    C, K, P = t.Callback, t.Call, t.BookingProposal
    return (select(C.id, C.call_row_id, C.reason, C.urgent, C.note, C.created_at, C.due_at, C.assignee, C.called_at,
                   C.called_by, C.call_sid, C.outcome, C.appointment_id, C.done_at, C.done_by, C.version, C.told,
                   K.caller_name, K.callback_number, K.caller_id_number, K.intent, K.service, K.requested_start_raw,
                   K.requested_start, K.summary, K.message, K.platform, P.start_at)
            .join(K, K.id == C.call_row_id).outerjoin(P, P.call_row_id == K.id))


def callback_for_new_call_in(s: Session, call_row_id: int, intent: Intent, reason_codes: Iterable[str],
                             issues: Iterable[FieldIssue], transcript: Sequence[Sequence[str]],
                             received_at: datetime, due: DueRule, now: datetime) -> bool:
    """In the transaction that stores a call: its callback, when it needs a person (``callback_need``). True if one
    was made."""
    need: CallbackNeed | None = callback_need(intent, reason_codes, issues)
    if need is None:
        return False
    s.add(t.Callback(call_row_id=call_row_id, reason=need.reason.value, urgent=need.urgent, created_at=now,
                     due_at=due(received_at, need.urgent), told=ai_told(transcript)))
    return True


def open_callback_in(s: Session, call_row_id: int, reason: CallbackReason, note: str, due_at: datetime,
                     now: datetime) -> None:
    """In the caller's transaction (a reject, a reply R): the call's callback takes this reason and note (reopened
    if it was done), or a new one is made."""
    row = s.scalar(select(t.Callback).where(t.Callback.call_row_id == call_row_id))
    if row is None:
        transcript = s.scalar(select(t.Call.transcript).where(t.Call.id == call_row_id))
        s.add(t.Callback(call_row_id=call_row_id, reason=reason.value, urgent=False, note=note, created_at=now,
                         due_at=due_at, told=ai_told(transcript or ())))
        return
    row.reason, row.note = reason.value, note
    if row.done_at is not None:
        row.outcome = row.done_at = row.done_by = None
        row.due_at = due_at
    row.due_at = min(row.due_at, due_at)


class CallbackStore(Room):
    """Callbacks: made in the transaction that stores the call (``callback_for_new_call_in``, by the inbox's
    ``apply``) or decides it (a reject, a reply R: ``open_callback_in``), listed open first by due time, called,
    and closed with an outcome. Reading them writes nothing."""

    def listing(self, *, include_done: bool = False, assignee: str | None = None, limit: int = 50,
                after: CallbackCursor | None = None) -> list[CallbackRecord]:
        """One page: open callbacks by due time (the overdue first), then, with ``include_done``, the latest done
        ones; ``after`` the last row of the previous page (keyset: the page costs the same however long the
        list)."""
        C = t.Callback
        out: list[CallbackRecord] = []
        with self.session() as s:
            rows = s.connection().execute  # plain rows: no ORM loading per row
            if after is None or not after.done:
                q = _query().where(C.done_at.is_(None))
                if after is not None:  # a row-value range: the open-by-due index is searched from the cursor on
                    q = q.where(tuple_(C.due_at, C.id) > tuple_(after.at, after.id))
                if assignee:
                    q = q.where(C.assignee == assignee)
                out = [callback_record(r) for r in rows(q.order_by(C.due_at, C.id).limit(limit))]
            if include_done and len(out) < limit:
                q = _query().where(C.done_at.is_not(None))
                if after is not None and after.done:
                    q = q.where(tuple_(C.done_at, C.id) < tuple_(after.at, after.id))
                if assignee:
                    q = q.where(C.assignee == assignee)
                out += [callback_record(r) for r in
                        rows(q.order_by(C.done_at.desc(), C.id.desc()).limit(limit - len(out)))]
            return out

    def open_count(self, now: datetime) -> tuple[int, int]:
        """(open, overdue), counted in SQL in one query."""
        C = t.Callback
        with self.session() as s:
            open_, late = s.execute(select(func.count(), func.coalesce(func.sum(case((C.due_at <= now, 1), else_=0)), 0))
                                    .select_from(C).where(C.done_at.is_(None))).one()
            return open_ or 0, late or 0

    def get(self, callback_id: int) -> CallbackRecord:
        with self.session() as s:
            row = s.execute(_query().where(t.Callback.id == callback_id)).first()
            if row is None:
                raise UserError(f"callback {callback_id} does not exist (see: receptionist callbacks list)")
            return callback_record(row)

    def _open_row(self, s: Session, callback_id: int, version: int | None) -> t.Callback:
        row = s.get(t.Callback, callback_id)
        if row is None:
            raise UserError(f"callback {callback_id} does not exist (see: receptionist callbacks list)")
        if row.done_at is not None:
            raise StaleEdit(f"callback {callback_id} was already done by {row.done_by or 'someone'} "
                            f"({row.outcome})")
        if version is not None and row.version != version:
            raise StaleEdit("this callback was changed at another desk; reopen it to see the change")
        return row

    def called(self, callback_id: int, call_sid: str, actor: str, now: datetime) -> CallbackRecord:
        with self.session() as s:
            row = self._open_row(s, callback_id, None)
            row.called_at, row.called_by, row.call_sid = now, actor, call_sid
            audit_in(s, now, actor, "callback.called", "callback", str(callback_id), {"call_sid": call_sid})
            commit_or_stale(s)
            return self.get(callback_id)

    def assign(self, callback_id: int, assignee: str | None, actor: str, now: datetime) -> CallbackRecord:
        with self.session() as s:
            row = self._open_row(s, callback_id, None)
            row.assignee = assignee
            audit_in(s, now, actor, "callback.assigned", "callback", str(callback_id), {"assignee": assignee})
            commit_or_stale(s)
            return self.get(callback_id)

    def done(self, callback_id: int, outcome: CallbackOutcome, appointment_id: str | None, actor: str,
             now: datetime, version: int | None = None) -> CallbackRecord:
        with self.session() as s:
            row = self._open_row(s, callback_id, version)
            if appointment_id is not None and s.get(t.Appointment, appointment_id) is None:
                raise UserError(f"appointment {appointment_id} does not exist (see: receptionist appointments list)")
            row.outcome, row.appointment_id, row.done_at, row.done_by = (
                outcome.value, appointment_id, now, actor)
            audit_in(s, now, actor, "callback.done", "callback", str(callback_id),
                     {"outcome": outcome.value, "appointment": appointment_id})
            commit_or_stale(s)
            return self.get(callback_id)
