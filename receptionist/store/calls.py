"""Calls and their booking proposals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session, defer, selectinload
from sqlalchemy.orm.attributes import flag_modified

from receptionist.domain.availability import HeldRule
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.call_queue import CallFilter, CallPage, CallQuery, CallSort, SearchTerms
from receptionist.domain.callbacks import CallbackReason
from receptionist.domain.intake import TEST_CALL_PREFIX
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    CallRecord,
    FieldIssue,
    Intent,
    ProposalRecord,
    ProposalStatus,
    SyncState,
)
from receptionist.errors import UserError
from receptionist.store import tables as t
from receptionist.store.appointments import load_appointment
from receptionist.store.audit import audit_in
from receptionist.store.base import Room, StaleEdit, commit_or_stale, refuse_new_clash
from receptionist.store.callbacks import open_callback_in
from receptionist.store.holds import refuse_held
from receptionist.store.outbox import queue_in
from receptionist.store.records import call_record, proposal_record


def _call_query():
    return select(t.Call).options(selectinload(t.Call.proposal))


def _call_list_query():
    # the list shows neither the raw payload nor the transcript: they stay in the database
    return select(t.Call).options(selectinload(t.Call.proposal), defer(t.Call.payload),
                                  defer(t.Call.transcript), defer(t.Call.custom_fields))


_STATUS = t.BookingProposal.status
_URGENT_RANK = case((t.Call.intent == Intent.URGENT.value, 0), else_=1)


def _filter_condition(view: CallFilter):
    """The view's condition on a call joined (outer) to its proposal; None for All."""
    if view is CallFilter.ALL:
        return None
    if view is CallFilter.DONE:
        return _STATUS.in_((ProposalStatus.APPROVED.value, ProposalStatus.REJECTED.value,
                            ProposalStatus.CALLBACK.value))
    pending = _STATUS == ProposalStatus.PENDING.value
    intents = view.intents
    return pending if intents is None else and_(pending, t.Call.intent.in_([i.value for i in intents]))


def _search_conditions(terms: SearchTerms) -> list:
    out = []
    for word in terms.words:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        out.append(or_(t.Call.caller_name.ilike(like, escape="\\"),
                       t.BookingProposal.caller_name.ilike(like, escape="\\")))
    if terms.digits:
        like = f"%{terms.digits}%"  # E.164 numbers are "+" and digits only
        out.append(or_(t.Call.callback_number.like(like), t.Call.caller_id_number.like(like),
                       t.BookingProposal.callback_number.like(like)))
    return out


def _conditions(query: CallQuery) -> list:
    condition = _filter_condition(query.filter)
    return ([condition] if condition is not None else []) + _search_conditions(query.terms)


def _order(sort: CallSort) -> list:
    if sort is CallSort.OLDEST:
        return [t.Call.received_at.asc(), t.Call.id.asc()]
    newest = [t.Call.received_at.desc(), t.Call.id.desc()]
    return [_URGENT_RANK.asc(), *newest] if sort is CallSort.URGENT_FIRST else newest


def _after(sort: CallSort, received_at: datetime, call_row_id: int, intent: str):
    """The calls that come after (received_at, id, intent) in the sort's order."""
    if sort is CallSort.OLDEST:
        return or_(t.Call.received_at > received_at, and_(t.Call.received_at == received_at, t.Call.id > call_row_id))
    older = or_(t.Call.received_at < received_at, and_(t.Call.received_at == received_at, t.Call.id < call_row_id))
    if sort is CallSort.NEWEST:
        return older
    rank = 0 if intent == Intent.URGENT.value else 1
    return or_(_URGENT_RANK > rank, and_(_URGENT_RANK == rank, older))


def _counts(s: Session, terms: SearchTerms) -> dict[CallFilter, int]:
    """Every view's count in one pass over the calls the search finds."""
    columns = []
    for view in CallFilter:
        condition = _filter_condition(view)
        columns.append(func.count() if condition is None else func.coalesce(func.sum(case((condition, 1), else_=0)), 0))
    row = s.execute(select(*columns).select_from(t.Call).outerjoin(t.Call.proposal)
                    .where(*_search_conditions(terms))).one()
    return {view: int(n or 0) for view, n in zip(CallFilter, row)}


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

    def of_call_id(self, call_id: str) -> CallRecord | None:
        """The stored call an appointment was booked from (its ``call_id``), whichever platform took it."""
        with self.session() as s:
            row = s.scalar(_call_query().where(t.Call.call_id == call_id).order_by(t.Call.id).limit(1))
            return call_record(row) if row else None

    def remove_test_calls(self) -> list[int]:
        """The setup test calls sent through this desk's own receiver (their ids hold ``TEST_CALL_PREFIX``) leave
        it: each call, its proposal and callback, the deliveries that made it and its call in progress; their
        rows' ids."""
        with self.session() as s:
            rows = s.execute(select(t.Call.id, t.Call.platform, t.Call.call_id)
                             .where(t.Call.call_id.contains(TEST_CALL_PREFIX, autoescape=True))).all()
            ids = [row.id for row in rows]
            s.execute(delete(t.LiveCall).where(t.LiveCall.call_id.contains(TEST_CALL_PREFIX, autoescape=True)))
            if ids:
                s.execute(delete(t.InboxDelivery).where(t.InboxDelivery.call_row_id.in_(ids)))
                s.execute(delete(t.BookingProposal).where(t.BookingProposal.call_row_id.in_(ids)))
                s.execute(delete(t.Callback).where(t.Callback.call_row_id.in_(ids)))
                s.execute(delete(t.Call).where(t.Call.id.in_(ids)))
            s.commit()
            return ids

    def page(self, query: CallQuery, after: int | None = None, limit: int = 100) -> CallPage:
        """One page of a view of the queue (``complete=False`` records), the calls after the call ``after`` in the
        view's order (keyset paging: a call arriving meanwhile neither repeats nor hides one), with every view's
        count under the same search."""
        with self.session() as s:
            stmt = _call_list_query().outerjoin(t.Call.proposal).where(*_conditions(query))
            if after is not None:
                last = s.execute(select(t.Call.received_at, t.Call.id, t.Call.intent)
                                 .where(t.Call.id == after)).first()
                if last is None:
                    raise UserError(f"call {after} does not exist")
                stmt = stmt.where(_after(query.sort, *last))
            rows = list(s.scalars(stmt.order_by(*_order(query.sort)).limit(limit + 1)))
            counts = _counts(s, query.terms)
            return CallPage([call_record(r, complete=False) for r in rows[:limit]], counts, len(rows) > limit)

    def counts(self, query: CallQuery) -> dict[CallFilter, int]:
        """How many calls each view lists under this query's search."""
        with self.session() as s:
            return _counts(s, query.terms)

    def by_id(self, ids: Iterable[int], query: CallQuery | None = None) -> list[CallRecord]:
        """List rows of these calls (``complete=False``), newest first; with a query, those its view lists."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        with self.session() as s:
            stmt = _call_list_query().where(t.Call.id.in_(wanted))
            if query is not None:
                stmt = stmt.outerjoin(t.Call.proposal).where(*_conditions(query))
            rows = s.scalars(stmt.order_by(t.Call.received_at.desc(), t.Call.id.desc()))
            return [call_record(r, complete=False) for r in rows]

    def versions(self, ids: Iterable[int]) -> dict[int, tuple]:
        """What the list's rows of these calls depend on, by id: (intent, proposal version, proposal status), the
        last two None without a proposal. Read in chunks of ids, a few columns each: a list of thousands of rows
        asks this on every refresh and reads only the calls whose version moved."""
        wanted = list(dict.fromkeys(ids))
        found: dict[int, tuple] = {}
        with self.session() as s:
            for start in range(0, len(wanted), 2000):
                rows = s.execute(select(t.Call.id, t.Call.intent, t.BookingProposal.version, t.BookingProposal.status)
                                 .outerjoin(t.Call.proposal).where(t.Call.id.in_(wanted[start:start + 2000])))
                found.update((call_row_id, (intent, version, status)) for call_row_id, intent, version, status in rows)
        return found

    def stored(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (platform, call id) ended and were stored as calls."""
        keys = list(keys)
        if not keys:
            return set()
        with self.session() as s:
            rows = s.execute(select(t.Call.platform, t.Call.call_id).where(
                t.Call.call_id.in_({call_id for _, call_id in keys})))
            return {(platform, call_id) for platform, call_id in rows} & set(keys)

    def services(self, limit: int = 200) -> list[str]:
        """The services named on proposals, most used first (the review pane offers them)."""
        with self.session() as s:
            return list(s.scalars(select(t.BookingProposal.service).where(t.BookingProposal.service.is_not(None))
                                  .group_by(t.BookingProposal.service)
                                  .order_by(func.count().desc(), t.BookingProposal.service).limit(limit)))

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
            row.issues, row.resource = [i.to_dict() for i in issues], draft.resource
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
                         actor: str, now: datetime, outbox: Iterable[tuple[str, dict]] = (),
                         seen_clashes: frozenset[str] | None = None, held: HeldRule | None = None
                         ) -> AppointmentRecord:
        """Proposal → confirmed appointment, with a pending link row per calendar and any outbox messages,
        atomically. A proposal decided at another desk meanwhile, or an appointment booked there at this time that
        the check before did not see (``seen_clashes``), or a slot held for another caller since that the booking
        rule refuses it for (``held``: ``holds.refuse_held``), raises ``StaleEdit`` and changes nothing."""
        assert draft.start is not None and draft.end is not None
        with self.session() as s:
            row = self._pending(s, proposal_id, version)
            refuse_new_clash(s, draft.start, draft.end, seen_clashes, resource=draft.resource)
            if held is not None:
                refuse_held(s, draft.start, draft.end, now, draft.resource, held, (row.call.platform, row.call.call_id))
            appt = t.Appointment(
                id=uuid.uuid4().hex, caller_name=draft.caller_name, callback_number=draft.callback_number,
                account_id=row.call.account_id, service=draft.service, start_at=draft.start, end_at=draft.end,
                notes=draft.notes, status=AppointmentStatus.CONFIRMED.value, call_id=row.call.call_id,
                resource=draft.resource,
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

    def to_callback(self, proposal_id: int, version: int, note: str, actor: str, now: datetime,
                    due: datetime) -> ProposalRecord:
        """Needs a callback: the pending proposal leaves the queue as "callback" and its call's callback is made
        (or reopened), keeping the reason a sweep gave it (urgent, a question...), with the desk's note, in one
        transaction."""
        with self.session() as s:
            row = self._pending(s, proposal_id, version)
            row.status, row.decided_at, row.decided_by, row.reject_reason = (
                ProposalStatus.CALLBACK.value, now, actor, note)
            made = s.scalar(select(t.Callback.reason).where(t.Callback.call_row_id == row.call_row_id))
            open_callback_in(s, row.call_row_id, CallbackReason(made or CallbackReason.CALLBACK.value), note, due,
                             now)
            audit_in(s, now, actor, "proposal.callback", "proposal", str(proposal_id), {"note": note})
            commit_or_stale(s)
            return proposal_record(row)
