"""The callback desk's room: callbacks made from the calls that need a person, and what a person did with each."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, selectinload

from receptionist.domain.callbacks import (
    CallbackNeed,
    CallbackOutcome,
    CallbackReason,
    CallbackRecord,
    ai_summary,
    callback_need,
)
from receptionist.domain.models import FieldIssue, Intent
from receptionist.errors import UserError
from receptionist.store import tables as t
from receptionist.store.audit import audit_in
from receptionist.store.base import Room, StaleEdit, commit_or_stale

#: when a callback of this need is due: (received_at, urgent) → UTC instant (``domain.callbacks.callback_due``)
DueRule = Callable[[datetime, bool], datetime]


def callback_record(row: t.Callback) -> CallbackRecord:
    call = row.call
    p = call.proposal
    start = p.start_at if p is not None and p.start_at is not None else call.requested_start
    requested = call.requested_start_raw or (start.isoformat() if start else None)
    summary = ai_summary(call.caller_name, call.callback_number or call.caller_id_number, Intent(call.intent or "book"),
                         call.service, requested, call.summary, call.message,
                         ((s, x) for s, x in (call.transcript or ())))
    return CallbackRecord(
        id=row.id, call_row_id=row.call_row_id, reason=CallbackReason(row.reason), urgent=bool(row.urgent),
        due_at=row.due_at, created_at=row.created_at, summary=summary,
        number=call.callback_number or call.caller_id_number, platform=call.platform, note=row.note,
        assignee=row.assignee, outcome=CallbackOutcome(row.outcome) if row.outcome else None,
        appointment_id=row.appointment_id, done_at=row.done_at, done_by=row.done_by, called_at=row.called_at,
        called_by=row.called_by, call_sid=row.call_sid, version=row.version)


def _query():
    # the call's payload, raw fields and custom fields are not shown: left in the database
    return select(t.Callback).options(
        selectinload(t.Callback.call).options(defer(t.Call.payload), defer(t.Call.raw_fields),
                                              defer(t.Call.custom_fields)).selectinload(t.Call.proposal))


def callback_for_new_call_in(s: Session, call_row_id: int, intent: Intent, reason_codes: Iterable[str],
                             issues: Iterable[FieldIssue], received_at: datetime, due: DueRule,
                             now: datetime) -> bool:
    """In the transaction that stores a call: its callback, when it needs a person (``callback_need``). True if one
    was made."""
    need: CallbackNeed | None = callback_need(intent, reason_codes, issues)
    if need is None:
        return False
    s.add(t.Callback(call_row_id=call_row_id, reason=need.reason.value, urgent=need.urgent, created_at=now,
                     due_at=due(received_at, need.urgent)))
    return True


def open_callback_in(s: Session, call_row_id: int, reason: CallbackReason, note: str, due_at: datetime,
                     now: datetime) -> None:
    """In the caller's transaction (a reject, a reply R): the call's callback takes this reason and note (reopened
    if it was done), or a new one is made."""
    row = s.scalar(select(t.Callback).where(t.Callback.call_row_id == call_row_id))
    if row is None:
        s.add(t.Callback(call_row_id=call_row_id, reason=reason.value, urgent=False, note=note, created_at=now,
                         due_at=due_at))
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

    def listing(self, *, include_done: bool = False, assignee: str | None = None,
                limit: int = 200) -> list[CallbackRecord]:
        """Open callbacks by due time (the overdue first), then, with ``include_done``, the latest done ones."""
        C = t.Callback
        with self.session() as s:
            q = _query().where(C.done_at.is_(None))
            if assignee:
                q = q.where(C.assignee == assignee)
            out = [callback_record(r) for r in s.scalars(q.order_by(C.due_at, C.id).limit(limit))]
            if include_done and len(out) < limit:
                q = _query().where(C.done_at.is_not(None))
                if assignee:
                    q = q.where(C.assignee == assignee)
                out += [callback_record(r) for r in
                        s.scalars(q.order_by(C.done_at.desc(), C.id.desc()).limit(limit - len(out)))]
            return out

    def open_count(self, now: datetime) -> tuple[int, int]:
        """(open, overdue), counted in SQL."""
        C = t.Callback
        with self.session() as s:
            open_ = s.scalar(select(func.count()).select_from(C).where(C.done_at.is_(None))) or 0
            late = s.scalar(select(func.count()).select_from(C).where(C.done_at.is_(None), C.due_at <= now)) or 0
            return open_, late

    def get(self, callback_id: int) -> CallbackRecord:
        with self.session() as s:
            row = s.scalar(_query().where(t.Callback.id == callback_id))
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
