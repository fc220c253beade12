"""Calls and their booking proposals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer, selectinload
from sqlalchemy.orm.attributes import flag_modified

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.callbacks import CallbackReason
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    CallRecord,
    FieldIssue,
    ProposalRecord,
    ProposalStatus,
    SyncState,
)
from receptionist.errors import UserError
from receptionist.store import tables as t
from receptionist.store.appointments import load_appointment
from receptionist.store.audit import audit_in
from receptionist.store.callbacks import open_callback_in
from receptionist.store.base import Room, StaleEdit, commit_or_stale
from receptionist.store.outbox import queue_in
from receptionist.store.records import call_record, proposal_record


def _call_query():
    return select(t.Call).options(selectinload(t.Call.proposal))


def _call_list_query():
    # the list shows neither the raw payload nor the transcript: they stay in the database
    return select(t.Call).options(selectinload(t.Call.proposal), defer(t.Call.payload),
                                  defer(t.Call.transcript), defer(t.Call.custom_fields))


class CallStore(Room):
    """The calls the AI agent took (written only by the intake: ``store/inbox.py``)."""

    def row_id(self, platform: str, call_id: str) -> int | None:
        """The row of the platform's call, once it ended and was stored (a live call has none yet)."""
        with self.session() as s:
            return s.scalar(select(t.Call.id).where(t.Call.platform == platform, t.Call.call_id == call_id))

    def get(self, call_row_id: int) -> CallRecord | None:
        with self.session() as s:
            row = s.scalar(_call_query().where(t.Call.id == call_row_id))
            return call_record(row) if row else None

    def list_rows(self, limit: int = 200) -> list[CallRecord]:
        """The call list, newest first, without payloads and transcripts (``complete=False`` records)."""
        with self.session() as s:
            rows = s.scalars(_call_list_query().order_by(t.Call.received_at.desc(), t.Call.id.desc())
                             .limit(limit))
            return [call_record(r, complete=False) for r in rows]

    def by_id(self, ids: Iterable[int]) -> list[CallRecord]:
        """List rows of these calls (``complete=False``), newest first."""
        wanted = list(dict.fromkeys(ids))
        with self.session() as s:
            rows = s.scalars(_call_list_query().where(t.Call.id.in_(wanted))
                             .order_by(t.Call.received_at.desc(), t.Call.id.desc())) if wanted else []
            return [call_record(r, complete=False) for r in rows]

    def from_number(self, number: str, limit: int = 20) -> list[CallRecord]:
        """List rows (``complete=False``) of the calls from ``number`` (E.164: the number said or the caller id),
        newest first."""
        with self.session() as s:
            rows = s.scalars(_call_list_query().where(
                or_(t.Call.callback_number == number, t.Call.caller_id_number == number))
                .order_by(t.Call.received_at.desc(), t.Call.id.desc()).limit(limit))
            return [call_record(r, complete=False) for r in rows]

    def recent(self, limit: int = 200) -> list[CallRecord]:
        with self.session() as s:
            rows = s.scalars(_call_query().order_by(t.Call.received_at.desc(), t.Call.id.desc()).limit(limit))
            return [call_record(r) for r in rows]

    def of_proposal(self, proposal_id: int) -> CallRecord | None:
        with self.session() as s:
            row = s.scalar(_call_query().join(t.BookingProposal).where(t.BookingProposal.id == proposal_id))
            return call_record(row) if row else None


class ProposalStore(Room):
    """Booking proposals and a person's decision on each (edit, approve, reject)."""

    def pending_count(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(t.BookingProposal).where(
                t.BookingProposal.status == ProposalStatus.PENDING.value)) or 0

    def get(self, proposal_id: int) -> ProposalRecord | None:
        with self.session() as s:
            row = s.get(t.BookingProposal, proposal_id)
            return proposal_record(row) if row else None

    def update(self, proposal_id: int, draft: BookingDraft, issues: list[FieldIssue], version: int,
                        actor: str, now: datetime) -> ProposalRecord:
        with self.session() as s:
            row = self._pending(s, proposal_id, version)
            row.caller_name, row.callback_number, row.service = draft.caller_name, draft.callback_number, draft.service
            row.start_at, row.duration_minutes, row.notes = draft.start, draft.duration_minutes, draft.notes
            row.issues = [i.to_dict() for i in issues]
            flag_modified(row, "notes")  # a save always bumps the version, even when nothing differs
            audit_in(s, now, actor, "proposal.edited", "proposal", str(proposal_id), {})
            commit_or_stale(s)
            return proposal_record(row)

    def _pending(self, s: Session, proposal_id: int, version: int) -> t.BookingProposal:
        row = s.get(t.BookingProposal, proposal_id)
        if row is None:
            raise UserError(f"booking proposal {proposal_id} does not exist")
        if row.status != ProposalStatus.PENDING.value:
            raise StaleEdit(f"this booking was already {row.status} by {row.decided_by or 'someone else'}")
        if row.version != version:
            raise StaleEdit("this booking was changed at another desk; reopen it to see the change")
        return row

    def approve(self, proposal_id: int, draft: BookingDraft, version: int, calendars: Iterable[str],
                         actor: str, now: datetime, outbox: Iterable[tuple[str, dict]] = ()) -> AppointmentRecord:
        """Proposal → confirmed appointment, with a pending link row per calendar and any outbox messages,
        atomically. A proposal decided at another desk meanwhile raises ``StaleEdit`` and changes nothing."""
        assert draft.start is not None and draft.end is not None
        with self.session() as s:
            row = self._pending(s, proposal_id, version)
            appt = t.Appointment(
                id=uuid.uuid4().hex, caller_name=draft.caller_name, callback_number=draft.callback_number,
                account_id=row.call.account_id, service=draft.service, start_at=draft.start, end_at=draft.end,
                notes=draft.notes, status=AppointmentStatus.CONFIRMED.value, call_id=row.call.call_id,
                created_at=now, updated_at=now,
            )
            appt.links = [
                t.CalendarLink(calendar=c, state=SyncState.PENDING.value, attempts=0, generation=0, updated_at=now)
                for c in calendars
            ]
            s.add(appt)
            row.caller_name, row.callback_number, row.service = draft.caller_name, draft.callback_number, draft.service
            row.start_at, row.duration_minutes, row.notes = draft.start, draft.duration_minutes, draft.notes
            row.status, row.decided_at, row.decided_by = ProposalStatus.APPROVED.value, now, actor
            row.appointment_id = appt.id
            queue_in(s, outbox, appt.id, now)
            audit_in(s, now, actor, "proposal.approved", "proposal", str(proposal_id), {"appointment": appt.id})
            commit_or_stale(s)
            return load_appointment(s, appt.id)

    def reject(self, proposal_id: int, version: int, reason: str, actor: str, now: datetime,
               callback_due: datetime | None = None) -> ProposalRecord:
        """Reject a pending proposal; with ``callback_due``, its call becomes a callback carrying the reason, in
        the same transaction."""
        with self.session() as s:
            row = self._pending(s, proposal_id, version)
            row.status, row.decided_at, row.decided_by, row.reject_reason = (
                ProposalStatus.REJECTED.value, now, actor, reason)
            if callback_due is not None:
                open_callback_in(s, row.call_row_id, CallbackReason.REJECTED, reason, callback_due, now)
            audit_in(s, now, actor, "proposal.rejected", "proposal", str(proposal_id), {"reason": reason})
            commit_or_stale(s)
            return proposal_record(row)
