"""The store: every read and write the rest of the app makes, each in its own short transaction.

Methods take and return plain records (``receptionist.domain.models``); no ORM object leaves this module, so the
UI thread, the webhook thread and the sync thread never share a session.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, selectinload
from sqlalchemy.orm.attributes import flag_modified

from receptionist.domain.bookings import MAX_APPOINTMENT, BookingDraft
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentRow,
    AppointmentStatus,
    BusyBlock,
    CalendarHealthRecord,
    CallRecord,
    ExternalEventRecord,
    FieldIssue,
    LinkBadge,
    LinkRecord,
    ProposalRecord,
    ProposalStatus,
    SyncState,
)
from receptionist.domain.payload import CallCapture
from receptionist.domain.ports import RemoteEvent
from receptionist.errors import UserError
from receptionist.store import tables as t
from receptionist.store.db import session_factory


def _appt_overlaps(start: datetime, end: datetime):
    """Appointments overlapping [start, end), bounded below too (no appointment lasts longer than
    ``MAX_APPOINTMENT``) so the window index is searched, not scanned, whatever the years of data before it."""
    A = t.Appointment
    return and_(A.start_at < end, A.end_at > start, A.start_at > start - MAX_APPOINTMENT)


def _event_overlaps(start: datetime, end: datetime):
    """Cached calendar events overlapping [start, end): a bounded index search, plus the few long ones (a month's
    leave) found by their own index."""
    E = t.ExternalEvent
    return and_(E.start_at < end, E.end_at > start, or_(E.start_at > start - LONG_EVENT, E.long_span.is_(True)))


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


@functools.cache
def _upsert_statement(dialect: str):
    """The upsert, built once per dialect (building its ``excluded`` alias copies every column: ~1 ms, which
    was most of caching one event after a write)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = t.ExternalEvent.__table__
    stmt = insert(table)
    cols = {c: stmt.excluded[c] for c in ("etag", "title", "description", "location", "start_at", "end_at",
                                          "long_span", "busy", "all_day", "updated_at")}
    # Graph delta answers carry no extended properties: keep a uid we already knew.
    cols["uid"] = func.coalesce(stmt.excluded.uid, table.c.uid)
    return stmt.on_conflict_do_update(index_elements=["calendar", "remote_id"], set_=cols)


class StaleEdit(UserError):
    """Someone else (another desk) changed or decided this item first."""


def _issues(rows: list) -> tuple[FieldIssue, ...]:
    return tuple(FieldIssue.from_dict(r) for r in rows or ())


def _link(row: t.CalendarLink) -> LinkRecord:
    return LinkRecord(
        id=row.id, appointment_id=row.appointment_id, calendar=row.calendar, state=SyncState(row.state),
        remote_id=row.remote_id, etag=row.etag, content_hash=row.content_hash, last_error=row.last_error,
        attempts=row.attempts, next_attempt_at=row.next_attempt_at, synced_at=row.synced_at, detail=row.detail,
        generation=row.generation or 0,
    )


def _appointment(row: t.Appointment) -> AppointmentRecord:
    return AppointmentRecord(
        id=row.id, caller_name=row.caller_name, callback_number=row.callback_number, account_id=row.account_id,
        service=row.service, start=row.start_at, end=row.end_at, notes=row.notes,
        status=AppointmentStatus(row.status), call_id=row.call_id, version=row.version,
        links=tuple(_link(link) for link in row.links), title_override=row.title_override,
        description_override=row.description_override, cancel_reason=row.cancel_reason,
    )


def _external(r: t.ExternalEvent) -> ExternalEventRecord:
    return ExternalEventRecord(calendar=r.calendar, remote_id=r.remote_id, title=r.title, start=r.start_at,
                               end=r.end_at, busy=r.busy, all_day=r.all_day, uid=r.uid, etag=r.etag,
                               description=r.description or "", location=r.location or "")


def _health(r: t.CalendarHealth) -> CalendarHealthRecord:
    return CalendarHealthRecord(
        calendar=r.calendar, gate=r.gate, paused_until=r.paused_until, pause_reason=r.pause_reason,
        last_pull_at=r.last_pull_at, last_error=r.last_error, last_error_at=r.last_error_at,
        held_missing=r.held_missing or 0, reconciled_at=r.reconciled_at, reconcile_report=r.reconcile_report)


# Link states a change of the appointment puts back to Pending; Conflict/Drift wait for a person and Reconnect for
# a sign-in (the plan pushes them once that happens).
_REPUSH_STATES = (SyncState.SYNCED.value, SyncState.FAILED.value, SyncState.PENDING.value)
LONG_EVENT = timedelta(days=31)  # calendar events longer than this are flagged ``long_span`` (and indexed)
_WHAT_THE_CALENDAR_HOLDS = ("remote_id", "etag", "content_hash")  # facts of a write, whatever it was planned from
_ATTENTION = (SyncState.FAILED.value, SyncState.CONFLICT.value, SyncState.DRIFT.value, SyncState.RECONNECT.value)
# The columns of a view's row and of a link's badge (``_rows``), and their enums by stored value (a dict lookup:
# calling ``SyncState(value)`` costs microseconds, per link of every row listed).
_ROW_COLUMNS = (t.Appointment.id, t.Appointment.start_at, t.Appointment.end_at, t.Appointment.caller_name,
                t.Appointment.callback_number, t.Appointment.service, t.Appointment.status,
                t.Appointment.cancel_reason)
_BADGE_COLUMNS = (t.CalendarLink.appointment_id, t.CalendarLink.id, t.CalendarLink.calendar, t.CalendarLink.state,
                  t.CalendarLink.last_error, t.CalendarLink.attempts, t.CalendarLink.next_attempt_at,
                  t.CalendarLink.synced_at,
                  # what differs matters for a Drift/Conflict only; every other link's detail is not decoded
                  case((t.CalendarLink.state.in_((SyncState.DRIFT.value, SyncState.CONFLICT.value)),
                        t.CalendarLink.detail)))
_SYNC_STATES = {s.value: s for s in SyncState}
_APPOINTMENT_STATUSES = {s.value: s for s in AppointmentStatus}


def _proposal(row: t.BookingProposal) -> ProposalRecord:
    return ProposalRecord(
        id=row.id, status=ProposalStatus(row.status), caller_name=row.caller_name,
        callback_number=row.callback_number, service=row.service, start=row.start_at,
        duration_minutes=row.duration_minutes, notes=row.notes, issues=_issues(row.issues), version=row.version,
        appointment_id=row.appointment_id, decided_by=row.decided_by, reject_reason=row.reject_reason,
    )


def _call(row: t.Call, complete: bool = True) -> CallRecord:
    """A call row as a record; ``complete=False`` for list rows read without transcript and custom fields."""
    return CallRecord(
        id=row.id, platform=row.platform, call_id=row.call_id, received_at=row.received_at,
        occurred_at=row.occurred_at, caller_name=row.caller_name, callback_number=row.callback_number,
        callback_number_raw=row.callback_number_raw, account_id=row.account_id,
        reason_codes=tuple(row.reason_codes or ()), service=row.service, requested_start=row.requested_start,
        requested_start_raw=row.requested_start_raw, duration_minutes=row.duration_minutes, message=row.message,
        summary=row.summary, transcript=tuple((s, x) for s, x in (row.transcript or ())) if complete else (),
        agent_id=row.agent_id, custom_fields=dict(row.custom_fields or {}) if complete else {},
        issues=_issues(row.issues),
        proposal=_proposal(row.proposal) if row.proposal is not None else None,
        intent=row.intent or "book", caller_id_number=row.caller_id_number, raw_fields=dict(row.raw_fields or {}),
        complete=complete,
    )


def call_row(capture: CallCapture, payload: dict, received_at: datetime, inbox_id: int | None = None) -> t.Call:
    """The call row and its pending proposal for one capture (not added to any session)."""
    row = t.Call(
        platform=capture.platform, call_id=capture.call_id, received_at=received_at,
        occurred_at=capture.occurred_at, caller_name=capture.caller_name, callback_number=capture.callback_number,
        callback_number_raw=capture.callback_number_raw, account_id=capture.account_id,
        reason_codes=list(capture.reason_codes), service=capture.service,
        requested_start=capture.requested_start, requested_start_raw=capture.requested_start_raw,
        duration_minutes=capture.duration_minutes, message=capture.message, summary=capture.summary,
        transcript=[list(turn) for turn in capture.transcript], agent_id=capture.agent_id,
        custom_fields=capture.custom_fields, issues=[i.to_dict() for i in capture.issues], payload=payload,
    )
    row.proposal = t.BookingProposal(
        status=ProposalStatus.PENDING.value, caller_name=capture.caller_name,
        callback_number=capture.callback_number or capture.callback_number_raw, service=capture.service,
        start_at=capture.requested_start, duration_minutes=capture.duration_minutes,
        notes=capture.summary or capture.message or "", issues=[i.to_dict() for i in capture.issues],
        created_at=received_at,
    )
    row.intent = capture.intent.value
    row.caller_id_number = capture.caller_id_number
    row.raw_fields = dict(capture.raw_fields)
    row.inbox_id = inbox_id
    return row


class Store:
    """Repositories over one engine. Thread-safe: each method opens and closes its own session."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = session_factory(engine)

    def session(self) -> Session:
        return self._sessions()

    # --- calls and proposals ----------------------------------------------------------------------------------

    def call_row_id(self, platform: str, call_id: str) -> int | None:
        """The row of the platform's call, once it ended and was stored (a live call has none yet)."""
        with self.session() as s:
            return s.scalar(select(t.Call.id).where(t.Call.platform == platform, t.Call.call_id == call_id))

    @staticmethod
    def _call_query():
        return select(t.Call).options(selectinload(t.Call.proposal))

    def get_call(self, call_row_id: int) -> CallRecord | None:
        with self.session() as s:
            row = s.scalar(self._call_query().where(t.Call.id == call_row_id))
            return _call(row) if row else None

    @staticmethod
    def _call_list_query():
        # the list shows neither the raw payload nor the transcript: they stay in the database
        return select(t.Call).options(selectinload(t.Call.proposal), defer(t.Call.payload),
                                      defer(t.Call.transcript), defer(t.Call.custom_fields))

    def call_list(self, limit: int = 200) -> list[CallRecord]:
        """The call list, newest first, without payloads and transcripts (``complete=False`` records)."""
        with self.session() as s:
            rows = s.scalars(self._call_list_query().order_by(t.Call.received_at.desc(), t.Call.id.desc())
                             .limit(limit))
            return [_call(r, complete=False) for r in rows]

    def calls_by_id(self, ids: Iterable[int]) -> list[CallRecord]:
        """List rows of these calls (``complete=False``), newest first."""
        wanted = list(dict.fromkeys(ids))
        with self.session() as s:
            rows = s.scalars(self._call_list_query().where(t.Call.id.in_(wanted))
                             .order_by(t.Call.received_at.desc(), t.Call.id.desc())) if wanted else []
            return [_call(r, complete=False) for r in rows]

    def calls_from_number(self, number: str, limit: int = 20) -> list[CallRecord]:
        """List rows (``complete=False``) of the calls from ``number`` (E.164: the number said or the caller id),
        newest first."""
        with self.session() as s:
            rows = s.scalars(self._call_list_query().where(
                or_(t.Call.callback_number == number, t.Call.caller_id_number == number))
                .order_by(t.Call.received_at.desc(), t.Call.id.desc()).limit(limit))
            return [_call(r, complete=False) for r in rows]

    def pending_proposal_count(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(t.BookingProposal).where(
                t.BookingProposal.status == ProposalStatus.PENDING.value)) or 0

    def recent_calls(self, limit: int = 200) -> list[CallRecord]:
        with self.session() as s:
            rows = s.scalars(self._call_query().order_by(t.Call.received_at.desc(), t.Call.id.desc()).limit(limit))
            return [_call(r) for r in rows]

    def call_of_proposal(self, proposal_id: int) -> CallRecord | None:
        with self.session() as s:
            row = s.scalar(self._call_query().join(t.BookingProposal).where(t.BookingProposal.id == proposal_id))
            return _call(row) if row else None

    def get_proposal(self, proposal_id: int) -> ProposalRecord | None:
        with self.session() as s:
            row = s.get(t.BookingProposal, proposal_id)
            return _proposal(row) if row else None

    def update_proposal(self, proposal_id: int, draft: BookingDraft, issues: list[FieldIssue], version: int,
                        actor: str, now: datetime) -> ProposalRecord:
        with self.session() as s:
            row = self._pending_proposal(s, proposal_id, version)
            row.caller_name, row.callback_number, row.service = draft.caller_name, draft.callback_number, draft.service
            row.start_at, row.duration_minutes, row.notes = draft.start, draft.duration_minutes, draft.notes
            row.issues = [i.to_dict() for i in issues]
            flag_modified(row, "notes")  # a save always bumps the version, even when nothing differs
            self._audit(s, now, actor, "proposal.edited", "proposal", str(proposal_id), {})
            self._commit(s)
            return _proposal(row)

    def _pending_proposal(self, s: Session, proposal_id: int, version: int) -> t.BookingProposal:
        row = s.get(t.BookingProposal, proposal_id)
        if row is None:
            raise UserError(f"booking proposal {proposal_id} does not exist")
        if row.status != ProposalStatus.PENDING.value:
            raise StaleEdit(f"this booking was already {row.status} by {row.decided_by or 'someone else'}")
        if row.version != version:
            raise StaleEdit("this booking was changed at another desk; reopen it to see the change")
        return row

    @staticmethod
    def _commit(s: Session) -> None:
        from sqlalchemy.orm.exc import StaleDataError

        try:
            s.commit()
        except StaleDataError:
            s.rollback()
            raise StaleEdit("this item was changed at another desk at the same moment; reopen it") from None

    def approve_proposal(self, proposal_id: int, draft: BookingDraft, version: int, calendars: Iterable[str],
                         actor: str, now: datetime, outbox: Iterable[tuple[str, dict]] = ()) -> AppointmentRecord:
        """Proposal → confirmed appointment, with a pending link row per calendar and any outbox messages,
        atomically. A proposal decided at another desk meanwhile raises ``StaleEdit`` and changes nothing."""
        assert draft.start is not None and draft.end is not None
        with self.session() as s:
            row = self._pending_proposal(s, proposal_id, version)
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
            self._queue(s, outbox, appt.id, now)
            self._audit(s, now, actor, "proposal.approved", "proposal", str(proposal_id), {"appointment": appt.id})
            self._commit(s)
            return self.get_appointment(appt.id)

    def reject_proposal(self, proposal_id: int, version: int, reason: str, actor: str, now: datetime) -> ProposalRecord:
        with self.session() as s:
            row = self._pending_proposal(s, proposal_id, version)
            row.status, row.decided_at, row.decided_by, row.reject_reason = (
                ProposalStatus.REJECTED.value, now, actor, reason)
            self._audit(s, now, actor, "proposal.rejected", "proposal", str(proposal_id), {"reason": reason})
            self._commit(s)
            return _proposal(row)

    # --- appointments and links -------------------------------------------------------------------------------

    def get_appointment(self, appointment_id: str) -> AppointmentRecord | None:
        with self.session() as s:
            row = s.scalar(select(t.Appointment).options(selectinload(t.Appointment.links))
                           .where(t.Appointment.id == appointment_id))
            return _appointment(row) if row else None

    def appointments(self, start: datetime | None = None, end: datetime | None = None,
                     include_cancelled: bool = False) -> list[AppointmentRecord]:
        q = select(t.Appointment).options(selectinload(t.Appointment.links)).order_by(t.Appointment.start_at)
        if start is not None and end is not None:
            q = q.where(_appt_overlaps(start, end))
        elif start is not None:
            q = q.where(t.Appointment.end_at > start)
        elif end is not None:
            q = q.where(t.Appointment.start_at < end)
        if not include_cancelled:
            q = q.where(t.Appointment.status != AppointmentStatus.CANCELLED.value)
        with self.session() as s:
            return [_appointment(r) for r in s.scalars(q)]

    def appointments_for_number(self, number: str, limit: int = 20) -> list[AppointmentRecord]:
        """Appointments booked for ``number`` (E.164), cancelled ones too, the latest start first."""
        with self.session() as s:
            return [_appointment(r) for r in s.scalars(
                select(t.Appointment).options(selectinload(t.Appointment.links))
                .where(t.Appointment.callback_number == number)
                .order_by(t.Appointment.start_at.desc()).limit(limit))]

    # --- what the views list: columns, not whole appointments ---------------------------------------------------

    def appointment_rows(self, start: datetime, end: datetime) -> list[AppointmentRow]:
        """The appointments overlapping [start, end), cancelled ones too, by start time, as the week view shows
        them (``AppointmentRow``: the shown columns and a badge per link)."""
        A = t.Appointment
        return self._rows(select(*_ROW_COLUMNS).where(_appt_overlaps(start, end)).order_by(A.start_at, A.id))

    def appointments_by_id(self, ids: Iterable[str]) -> list[AppointmentRow]:
        """The rows of these appointments (a view updating the rows an event named)."""
        wanted = list(dict.fromkeys(ids))
        out: list[AppointmentRow] = []
        for chunk in _chunks(wanted, 500):
            out += self._rows(select(*_ROW_COLUMNS).where(t.Appointment.id.in_(chunk)))
        return out

    def appointment_page(self, start: datetime, end: datetime, *, offset: int = 0,
                         limit: int = 200) -> list[AppointmentRow]:
        """One page of what the appointments view shows: the appointments in [start, end), then every other one
        with a link that needs attention (Failed, Conflict, Drift, Reconnect), by start time. Indexed, limited:
        the cost does not grow with the years of data behind it."""
        A, L = t.Appointment, t.CalendarLink
        attention = select(L.appointment_id).where(L.state.in_(_ATTENTION)).scalar_subquery()
        return self._rows(select(*_ROW_COLUMNS).where(or_(_appt_overlaps(start, end), A.id.in_(attention)))
                          .order_by(A.start_at, A.id).offset(offset).limit(limit))

    def _rows(self, appointments) -> list[AppointmentRow]:
        """``appointments`` (a select of ``_ROW_COLUMNS``) as rows, in its order, each with its links' badges
        (read by the appointment ids, 500 at a time, through the (appointment, calendar) unique index)."""
        L = t.CalendarLink
        with self.session() as s:
            conn = s.connection()  # Core rows: the ORM's result layer would cost more than the rows themselves
            found = conn.execute(appointments).all()
            badges: dict[str, list[LinkBadge]] = {}
            for chunk in _chunks([r[0] for r in found], 500):
                for appointment_id, *link in conn.execute(select(*_BADGE_COLUMNS)
                                                          .where(L.appointment_id.in_(chunk))
                                                          .order_by(L.appointment_id, L.calendar)).all():
                    badges.setdefault(appointment_id, []).append(
                        LinkBadge(link[0], link[1], _SYNC_STATES[link[2]], *link[3:]))
        return [AppointmentRow(i, start, end, caller, phone, service, _APPOINTMENT_STATUSES[status], reason,
                               tuple(badges.get(i, ())))
                for i, start, end, caller, phone, service, status, reason in found]

    def appointment_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Counts for the view's header, in SQL: appointments in the window (live and cancelled) and links that
        need attention anywhere."""
        A, L = t.Appointment, t.CalendarLink
        with self.session() as s:
            live, cancelled = (s.scalar(select(func.count()).select_from(A).where(
                _appt_overlaps(start, end), A.status == status)) or 0
                for status in (AppointmentStatus.CONFIRMED.value, AppointmentStatus.CANCELLED.value))
            by_state = dict(s.execute(select(L.state, func.count()).where(L.state.in_(_ATTENTION))
                                      .group_by(L.state)).all())
        return {"live": live, "cancelled": cancelled, "attention": sum(by_state.values()), **by_state}

    def links_to_plan(self, calendar: str, changed_remote_ids: Iterable[str] = (),
                      window: tuple[datetime, datetime] | None = None,
                      limit: int | None = None, resting: tuple[datetime, int] | None = None
                      ) -> list[tuple[LinkRecord, AppointmentRecord]]:
        """The links of ``calendar`` the sync plan must look at, with their appointments: every link that is not
        Synced, every link whose remote copy just changed, and every Synced link of an appointment inside the
        pulled ``window`` whose event is missing from the remote cache. A quiet cycle returns nothing, so it
        costs nothing, however many appointments the desk keeps.

        ``resting`` = (now, max attempts) leaves out the Failed links the plan would leave alone anyway (waiting
        for their backoff, or given up until Retry), unless their remote copy changed: years of given-up links
        are not loaded every cycle."""
        L, A, E = t.CalendarLink, t.Appointment, t.ExternalEvent
        owed = L.state != SyncState.SYNCED.value
        if resting is not None:
            now, max_attempts = resting
            owed = and_(owed, ~and_(L.state == SyncState.FAILED.value, or_(
                L.attempts >= max_attempts, and_(L.next_attempt_at.is_not(None), L.next_attempt_at > now))))
        clauses = [owed]
        changed = list(changed_remote_ids)
        if len(changed) > 2000 and window is not None:  # a full listing: every link in the window, not a huge IN
            clauses.append(and_(L.remote_id.is_not(None), _appt_overlaps(*window)))
        elif changed:
            clauses.append(L.remote_id.in_(changed))
            # our event seen before its link learnt the remote id (a create whose answer was lost)
            clauses.append(and_(L.remote_id.is_(None), L.appointment_id.in_(
                select(E.uid).where(E.calendar == calendar, E.remote_id.in_(changed), E.uid.is_not(None)))))
        if window is not None:
            missing = ~select(E.remote_id).where(E.calendar == calendar, E.remote_id == L.remote_id).exists()
            clauses.append(and_(L.remote_id.is_not(None), _appt_overlaps(*window), missing))
        q = (select(L.appointment_id).join(A, A.id == L.appointment_id)
             .where(L.calendar == calendar, or_(*clauses))
             .order_by(L.next_attempt_at.is_(None).desc(), L.next_attempt_at, L.id))
        if limit is not None:
            q = q.limit(limit)
        with self.session() as s:
            ids = list(s.scalars(q))
            if not ids:
                return []
            rows = {r.id: r for r in s.scalars(select(A).options(selectinload(A.links)).where(A.id.in_(ids)))}
            out = []
            for appointment_id in ids:
                appt = _appointment(rows[appointment_id])
                link = next(link for link in appt.links if link.calendar == calendar)
                out.append((link, appt))
            return out

    def count_linked_in_window(self, calendar: str, start: datetime, end: datetime) -> int:
        """How many of our live appointments in [start, end) have an event on ``calendar`` (the guard's base)."""
        L, A = t.CalendarLink, t.Appointment
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(L).join(A, A.id == L.appointment_id).where(
                L.calendar == calendar, L.remote_id.is_not(None), A.status == AppointmentStatus.CONFIRMED.value,
                _appt_overlaps(start, end))) or 0

    def links_owed_now(self, now: datetime, calendars: Iterable[str]) -> bool:
        """Is any link of ``calendars`` Pending with nothing to wait for?"""
        L = t.CalendarLink
        with self.session() as s:
            return s.scalar(select(L.id).where(L.calendar.in_(list(calendars)), L.state == SyncState.PENDING.value, or_(
                L.next_attempt_at.is_(None), L.next_attempt_at <= now)).limit(1)) is not None

    def next_retry_at(self, max_attempts: int) -> datetime | None:
        with self.session() as s:
            return s.scalar(select(func.min(t.CalendarLink.next_attempt_at)).where(
                t.CalendarLink.state.in_([SyncState.FAILED.value, SyncState.PENDING.value]),
                t.CalendarLink.attempts < max_attempts))

    def get_link(self, link_id: int) -> LinkRecord | None:
        with self.session() as s:
            row = s.get(t.CalendarLink, link_id)
            return _link(row) if row else None

    def save_link(self, link_id: int, now: datetime, *, expect_updated: datetime | None = None,
                  planned_version: int | None = None, cache: tuple[str, RemoteEvent, str] | None = None,
                  **changes) -> LinkRecord | None:
        """Change a link row. With ``expect_updated`` (when the sync thread read it) the change is only made if
        nobody touched the row since — a person's Retry or Keep ours pressed meanwhile wins; None is returned.
        ``planned_version`` is the appointment's version the sync thread planned from: if a desk changed the
        appointment since (a reschedule while we wrote the old time), what the write left on the calendar is
        recorded (remote id, etag, content hash) but not its verdict — the link stays as that change left it
        (Pending), so the new version is pushed next instead of the old one being called Synced.
        ``cache`` = (calendar, event, uid): our write as read back goes into the remote cache (``cache_event``) in
        the same transaction, so a pushed link costs one commit, not two."""
        allowed = {"state", "remote_id", "etag", "content_hash", "last_error", "attempts", "next_attempt_at",
                   "synced_at", "detail"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"unknown link fields {unknown}")
        if isinstance(changes.get("state"), SyncState):
            changes["state"] = changes["state"].value
        with self.session() as s:
            if cache is not None:
                calendar, event, uid = cache
                self._upsert_events(s, calendar, [event], now, {event.remote_id: uid})
            row = s.get(t.CalendarLink, link_id)
            if row is None:
                s.commit()
                return None  # the appointment was deleted meanwhile
            if expect_updated is not None and row.updated_at != expect_updated:
                s.commit()
                return None
            if planned_version is not None and row.appointment.version != planned_version:
                changes = {k: v for k, v in changes.items() if k in _WHAT_THE_CALENDAR_HOLDS}
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = now
            s.commit()
            return _link(row)

    def retry_links(self, now: datetime, link_ids: Iterable[int] | None = None, actor: str = "staff") -> int:
        """Put failed links back to pending now (a person pressed Retry / Retry all failed). A Drift or Conflict
        is not retried: it waits for Keep ours / Take theirs."""
        q = update(t.CalendarLink).values(state=SyncState.PENDING.value, attempts=0, next_attempt_at=None,
                                          last_error=None, updated_at=now)
        if link_ids is None:
            q = q.where(t.CalendarLink.state == SyncState.FAILED.value)
        else:
            ids = list(link_ids)
            q = q.where(t.CalendarLink.id.in_(ids),
                        t.CalendarLink.state.in_([SyncState.FAILED.value, SyncState.RECONNECT.value]))
        with self.session() as s:
            count = s.execute(q).rowcount
            self._audit(s, now, actor, "sync.retry", "link", "all" if link_ids is None else ",".join(map(str, ids)),
                        {"count": count})
            s.commit()
            return count

    def sync_counts(self, states: Iterable[SyncState] | None = None) -> dict[str, dict[str, int]]:
        """{calendar: {state: count}}. With ``states`` (the window's attention counts) only those are counted,
        by index; without (``status``), every link."""
        L = t.CalendarLink
        q = select(L.calendar, L.state, func.count()).group_by(L.calendar, L.state)
        if states is not None:
            q = q.where(L.state.in_([SyncState(x).value for x in states]))
        with self.session() as s:
            out: dict[str, dict[str, int]] = {}
            for cal, state, n in s.execute(q):
                out.setdefault(cal, {})[state] = n
            return out

    def ensure_links(self, calendars: Iterable[str], now: datetime) -> int:
        """Give every live appointment a link row for each enabled calendar (a calendar enabled after bookings
        were made owes them too). Returns how many rows were added."""
        added = 0
        with self.session() as s:
            for cal in calendars:
                has = select(t.CalendarLink.id).where(t.CalendarLink.appointment_id == t.Appointment.id,
                                                      t.CalendarLink.calendar == cal).exists()
                ids = list(s.scalars(select(t.Appointment.id).where(
                    t.Appointment.status == AppointmentStatus.CONFIRMED.value, ~has)))
                for appointment_id in ids:
                    s.add(t.CalendarLink(appointment_id=appointment_id, calendar=cal, state=SyncState.PENDING.value,
                                         attempts=0, generation=0, updated_at=now))
                added += len(ids)
            s.commit()
        return added

    # --- appointment lifecycle (reschedule, edit, cancel) and a person's sync decisions ----------------------------

    def _appointment_for_change(self, s: Session, appointment_id: str, version: int) -> t.Appointment:
        row = s.scalar(select(t.Appointment).options(selectinload(t.Appointment.links))
                       .where(t.Appointment.id == appointment_id))
        if row is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        if row.version != version:
            raise StaleEdit("this appointment was changed at another desk; reopen it to see the change")
        return row

    @staticmethod
    def _repush(row: t.Appointment, now: datetime) -> None:
        for link in row.links:
            if link.state in _REPUSH_STATES:
                link.state, link.attempts, link.next_attempt_at, link.last_error = (
                    SyncState.PENDING.value, 0, None, None)
                link.updated_at = now

    def change_appointment(self, appointment_id: str, version: int, changes: dict, actor: str, now: datetime,
                           outbox: Iterable[tuple[str, dict]] = (), action: str = "appointment.changed"
                           ) -> AppointmentRecord:
        """Reschedule or edit (``start``, ``end``, ``service``, ``notes``, ``caller_name``, overrides): the
        appointment changes and every calendar link is owed the new version, atomically with any SMS."""
        allowed = {"start", "end", "service", "notes", "caller_name", "callback_number", "title_override",
                   "description_override"}
        if set(changes) - allowed:
            raise TypeError(f"unknown appointment fields {set(changes) - allowed}")
        with self.session() as s:
            row = self._appointment_for_change(s, appointment_id, version)
            if row.status == AppointmentStatus.CANCELLED.value:
                raise UserError("this appointment is cancelled; book a new one instead")
            before = {"start": row.start_at.isoformat(), "end": row.end_at.isoformat(), "service": row.service}
            for key, value in changes.items():
                setattr(row, {"start": "start_at", "end": "end_at"}.get(key, key), value)
            row.updated_at = now
            self._repush(row, now)
            self._queue(s, outbox, appointment_id, now)
            self._audit(s, now, actor, action, "appointment", appointment_id,
                        {"before": before, "changes": {k: (v.isoformat() if isinstance(v, datetime) else v)
                                                       for k, v in changes.items()}})
            self._commit(s)
        return self.get_appointment(appointment_id)

    def cancel_appointment(self, appointment_id: str, version: int, reason: str, actor: str, now: datetime,
                           outbox: Iterable[tuple[str, dict]] = ()) -> AppointmentRecord:
        """Cancel: kept (shown as cancelled), and every calendar is owed the deletion of its event."""
        with self.session() as s:
            row = self._appointment_for_change(s, appointment_id, version)
            if row.status == AppointmentStatus.CANCELLED.value:
                raise StaleEdit(f"this appointment was already cancelled ({row.cancel_reason or 'no reason given'})")
            row.status, row.cancel_reason, row.updated_at = AppointmentStatus.CANCELLED.value, reason, now
            self._repush(row, now)
            self._queue(s, outbox, appointment_id, now)
            self._audit(s, now, actor, "appointment.cancelled", "appointment", appointment_id, {"reason": reason})
            self._commit(s)
        return self.get_appointment(appointment_id)

    def keep_ours(self, link_id: int, remote_etag: str | None, remote_hash: str | None, actor: str,
                  now: datetime) -> LinkRecord:
        """Keep ours on a Drift/Conflict: the calendar gets our version again. Deleted there → created anew;
        changed there → overwritten, with If-Match on the copy the person saw (a newer change is a new Conflict)."""
        with self.session() as s:
            row = s.get(t.CalendarLink, link_id)
            if row is None:
                raise UserError(f"sync link {link_id} does not exist")
            deleted = bool((row.detail or {}).get("deleted")) or remote_hash is None
            if deleted:
                row.remote_id = row.etag = row.content_hash = None
                row.generation = (row.generation or 0) + 1
            else:
                row.etag, row.content_hash = remote_etag, remote_hash
            row.state, row.attempts, row.next_attempt_at, row.last_error, row.detail = (
                SyncState.PENDING.value, 0, None, None, None)
            row.updated_at = now
            self._audit(s, now, actor, "sync.keep_ours", "link", str(link_id),
                        {"calendar": row.calendar, "appointment": row.appointment_id, "recreate": deleted})
            s.commit()
            return _link(row)

    def take_theirs(self, link_id: int, changes: dict | None, remote_etag: str | None, remote_hash: str | None,
                    actor: str, now: datetime, outbox: Iterable[tuple[str, dict]] = ()) -> AppointmentRecord:
        """Take theirs on a Drift/Conflict: our appointment follows the calendar. ``changes`` None means the event
        was deleted there: the appointment is cancelled (and deleted from the other calendars). Otherwise the
        appointment takes ``changes`` and this link counts the calendar's copy as confirmed; the other calendars
        are owed the new version."""
        with self.session() as s:
            link = s.get(t.CalendarLink, link_id)
            if link is None:
                raise UserError(f"sync link {link_id} does not exist")
            row = self._appointment_for_change(s, link.appointment_id, link.appointment.version)
            label = link.calendar.split(":")[0].capitalize()
            if changes is None:
                row.status = AppointmentStatus.CANCELLED.value
                row.cancel_reason = f"deleted on {label}; the deletion was accepted by {actor}"
                link.remote_id = link.etag = link.content_hash = None
            else:
                for key, value in changes.items():
                    setattr(row, {"start": "start_at", "end": "end_at"}.get(key, key), value)
                link.etag, link.content_hash = remote_etag, remote_hash
                if row.status == AppointmentStatus.CANCELLED.value:
                    # "cancelled here, edited there": the calendar's version is a live booking. Left cancelled,
                    # this link was Synced over a live event that nothing would ever delete.
                    row.status, row.cancel_reason = AppointmentStatus.CONFIRMED.value, None
                    for other in row.links:  # events we deleted for the cancellation are made anew, new ids
                        if other is not link and other.remote_id is None:
                            other.generation = (other.generation or 0) + 1
            row.updated_at = now
            self._repush(row, now)
            link.state, link.detail, link.last_error, link.attempts = SyncState.SYNCED.value, None, None, 0
            link.synced_at = link.updated_at = now
            self._queue(s, outbox, row.id, now)
            self._audit(s, now, actor, "sync.take_theirs", "link", str(link_id),
                        {"calendar": link.calendar, "appointment": row.id, "cancelled": changes is None,
                         "changes": {k: (v.isoformat() if isinstance(v, datetime) else v)
                                     for k, v in (changes or {}).items()}})
            self._commit(s)
            appointment_id = row.id
        return self.get_appointment(appointment_id)

    @staticmethod
    def _queue(s: Session, outbox: Iterable[tuple[str, dict]], appointment_id: str, now: datetime) -> None:
        for topic, payload in outbox:
            s.add(t.OutboxMessage(topic=topic, payload={**payload, "appointment_id": appointment_id},
                                  created_at=now, available_at=now, attempts=0))

    def links_deleted_remotely(self, calendar: str) -> list[LinkRecord]:
        """The links of ``calendar`` in Drift because their event is gone (for the mass-deletion alert)."""
        with self.session() as s:
            rows = s.scalars(select(t.CalendarLink).where(t.CalendarLink.calendar == calendar,
                                                          t.CalendarLink.state == SyncState.DRIFT.value))
            return [link for link in map(_link, rows) if link.deleted_remotely]

    # --- the remote cache (every event the pulls read: busy time, the merged view, and the plan's remote copy) ----

    def get_cursor(self, calendar: str) -> tuple[str | None, datetime | None, datetime | None]:
        with self.session() as s:
            row = s.get(t.SyncCursor, calendar)
            return (row.cursor, row.window_start, row.window_end) if row else (None, None, None)

    def _upsert_events(self, s: Session, calendar: str, events: list[RemoteEvent], now: datetime,
                       uids: dict[str, str]) -> None:
        """Bulk upsert: one ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL) executed over every row
        (the driver's executemany), so the statement is compiled once and cached, whatever the number of rows."""
        if not events:
            return
        rows = {e.remote_id: {"calendar": calendar, "remote_id": e.remote_id, "etag": e.etag, "title": e.title,
                              "description": e.description or "", "location": e.location or "",
                              "start_at": e.start, "end_at": e.end, "long_span": e.end - e.start > LONG_EVENT,
                              "busy": e.busy, "all_day": e.all_day,
                              "uid": e.uid or uids.get(e.remote_id), "updated_at": now} for e in events}
        # Core, on the session's connection and transaction: the ORM's bulk path would re-check every row.
        s.connection().execute(_upsert_statement(s.bind.dialect.name), list(rows.values()))

    def _our_uids(self, s: Session, calendar: str, remote_ids: list[str]) -> dict[str, str]:
        """Recognise our own events by the link rows (Graph delta answers carry no extended properties)."""
        out: dict[str, str] = {}
        for i in range(0, len(remote_ids), 500):
            out.update(s.execute(select(t.CalendarLink.remote_id, t.CalendarLink.appointment_id).where(
                t.CalendarLink.calendar == calendar, t.CalendarLink.remote_id.in_(remote_ids[i:i + 500]))).all())
        return out

    def apply_remote_changes(self, calendar: str, events: list[RemoteEvent], deleted_ids: list[str], full: bool,
                             cursor: str | None, window: tuple[datetime, datetime], now: datetime) -> set[str]:
        """Fold one incremental read into the cache, and move the cursor, in one transaction. Returns the remote
        ids that changed or went away (what the plan must look at)."""
        with self.session() as s:
            gone = set(deleted_ids) | {e.remote_id for e in events if e.cancelled}
            if full:
                before = set(s.scalars(select(t.ExternalEvent.remote_id).where(t.ExternalEvent.calendar == calendar)))
                s.execute(delete(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar))
                gone |= before - {e.remote_id for e in events}
            elif gone:
                for chunk in _chunks(sorted(gone), 500):
                    s.execute(delete(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar,
                                                            t.ExternalEvent.remote_id.in_(chunk)))
            live = [e for e in events if not e.cancelled]
            self._upsert_events(s, calendar, live, now,
                                self._our_uids(s, calendar, [e.remote_id for e in live if e.uid is None]))
            cur = s.get(t.SyncCursor, calendar) or t.SyncCursor(calendar=calendar)
            cur.cursor, cur.updated_at = cursor, now
            if full:
                cur.window_start, cur.window_end = window
            s.merge(cur)
            s.commit()
            return gone | {e.remote_id for e in live}

    def replace_remote_window(self, calendar: str, events: list[RemoteEvent], start: datetime, end: datetime,
                              now: datetime) -> set[str]:
        """A full read of [start, end) (reconciliation): the cache of that window becomes exactly ``events``.
        Returns the remote ids that were cached and are no longer listed."""
        with self.session() as s:
            E = t.ExternalEvent
            before = set(s.scalars(select(E.remote_id).where(E.calendar == calendar, _event_overlaps(start, end))))
            listed = {e.remote_id for e in events if not e.cancelled}
            vanished = before - listed
            for chunk in _chunks(sorted(vanished), 500):
                s.execute(delete(E).where(E.calendar == calendar, E.remote_id.in_(chunk)))
            live = [e for e in events if not e.cancelled]
            self._upsert_events(s, calendar, live, now,
                                self._our_uids(s, calendar, [e.remote_id for e in live if e.uid is None]))
            s.commit()
            return vanished

    def cache_event(self, calendar: str, event: RemoteEvent, uid: str, now: datetime) -> None:
        """Our own write, as read back: cached at once, so the next pull's copy is compared with it and the event
        never shows as somebody else's busy time."""
        with self.session() as s:
            self._upsert_events(s, calendar, [event], now, {event.remote_id: uid})
            s.commit()

    def uncache_event(self, calendar: str, remote_id: str) -> None:
        with self.session() as s:
            s.execute(delete(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar,
                                                    t.ExternalEvent.remote_id == remote_id))
            s.commit()

    def cached_events(self, calendar: str, remote_ids: Iterable[str]) -> dict[str, ExternalEventRecord]:
        """The cached copies of these remote ids, by remote id."""
        return self._cached(calendar, t.ExternalEvent.remote_id, remote_ids)

    def cached_by_uid(self, calendar: str, uids: Iterable[str]) -> dict[str, ExternalEventRecord]:
        """Cached events of ``calendar`` carrying one of our ``uids`` (a create whose answer was lost, found by the
        pull before the link learnt its remote id), by uid."""
        return self._cached(calendar, t.ExternalEvent.uid, uids)

    def _cached(self, calendar: str, column, values: Iterable[str]) -> dict[str, ExternalEventRecord]:
        wanted = [v for v in values if v]
        out: dict[str, ExternalEventRecord] = {}
        with self.session() as s:
            for chunk in _chunks(wanted, 500):
                for r in s.scalars(select(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar,
                                                                 column.in_(chunk))):
                    out[getattr(r, column.key)] = _external(r)
        return out

    def external_events(self, start: datetime, end: datetime) -> list[ExternalEventRecord]:
        q = (select(t.ExternalEvent).where(_event_overlaps(start, end))
             .order_by(t.ExternalEvent.start_at))
        with self.session() as s:
            return [_external(r) for r in s.scalars(q)]

    def our_events_without_link(self, calendar: str, start: datetime, end: datetime) -> list[ExternalEventRecord]:
        """Events carrying one of our uids that no link row points at (a duplicate, or a booking deleted here but
        not there) — reconciliation reports them."""
        E, L = t.ExternalEvent, t.CalendarLink
        linked = select(L.id).where(L.calendar == calendar, L.remote_id == E.remote_id).exists()
        with self.session() as s:
            return [_external(r) for r in s.scalars(select(E).where(
                E.calendar == calendar, E.uid.is_not(None), _event_overlaps(start, end), ~linked))]

    def synced_sample(self, calendar: str, start: datetime, end: datetime, n: int, seed: int) -> list[LinkRecord]:
        """Up to ``n`` Synced links of appointments in [start, end), picked by ``seed`` (reconciliation re-reads
        them one by one)."""
        L, A = t.CalendarLink, t.Appointment
        with self.session() as s:
            ids = list(s.scalars(select(L.id).join(A, A.id == L.appointment_id).where(
                L.calendar == calendar, L.state == SyncState.SYNCED.value, L.remote_id.is_not(None),
                _appt_overlaps(start, end))))
            picked = random.Random(seed).sample(ids, min(n, len(ids)))
            return [_link(r) for r in s.scalars(select(L).where(L.id.in_(picked)))] if picked else []

    # --- calendar health (shared by every desk) --------------------------------------------------------------------

    def calendar_health(self) -> dict[str, CalendarHealthRecord]:
        with self.session() as s:
            return {r.calendar: _health(r) for r in s.scalars(select(t.CalendarHealth))}

    def save_calendar_health(self, calendar: str, now: datetime, **changes) -> CalendarHealthRecord:
        with self.session() as s:
            row = s.get(t.CalendarHealth, calendar)
            if row is None:
                row = t.CalendarHealth(calendar=calendar, gate="open", held_missing=0)
                s.add(row)
            for key, value in changes.items():
                if not hasattr(t.CalendarHealth, key):
                    raise TypeError(f"unknown calendar health field {key}")
                setattr(row, key, value)
            row.updated_at = now
            s.commit()
            return _health(row)

    def reopen_calendar(self, calendar: str, now: datetime) -> int:
        """After a sign-in: the calendar takes requests again and its links waiting for sign-in are owed now."""
        with self.session() as s:
            row = s.get(t.CalendarHealth, calendar)
            if row is not None:
                row.gate, row.paused_until, row.pause_reason, row.updated_at = "open", None, None, now
            n = s.execute(update(t.CalendarLink).where(t.CalendarLink.calendar == calendar,
                                                        t.CalendarLink.state == SyncState.RECONNECT.value)
                          .values(state=SyncState.PENDING.value, last_error=None, updated_at=now)).rowcount
            s.commit()
            return n

    def resolve_mass_deletion(self, calendar: str, recreate: bool, actor: str, now: datetime) -> int:
        """A person's answer to the mass-deletion alert: re-create every vanished event, or accept the deletions
        (cancel those appointments, and delete them from the other calendars). Releases the hold."""
        count = 0
        with self.session() as s:
            links = [link for link in s.scalars(select(t.CalendarLink).options(selectinload(t.CalendarLink.appointment))
                                                .where(t.CalendarLink.calendar == calendar,
                                                       t.CalendarLink.state == SyncState.DRIFT.value))
                     if (link.detail or {}).get("deleted")]
            label = calendar.split(":")[0].capitalize()
            for link in links:
                count += 1
                if recreate:
                    link.remote_id = link.etag = link.content_hash = None
                    link.generation = (link.generation or 0) + 1
                    link.state = SyncState.PENDING.value
                else:
                    appt = link.appointment
                    if appt.status != AppointmentStatus.CANCELLED.value:
                        appt.status = AppointmentStatus.CANCELLED.value
                        appt.cancel_reason = f"deleted on {label}; the deletion was accepted by {actor}"
                        appt.updated_at = now
                        for other in appt.links:
                            if other is not link and other.state in _REPUSH_STATES:
                                other.state, other.attempts, other.next_attempt_at = SyncState.PENDING.value, 0, None
                                other.updated_at = now
                    link.remote_id = link.etag = link.content_hash = None
                    link.state, link.synced_at = SyncState.SYNCED.value, now
                link.detail, link.last_error, link.attempts, link.next_attempt_at = None, None, 0, None
                link.updated_at = now
            health = s.get(t.CalendarHealth, calendar)
            if health is not None:
                health.held_missing, health.gate, health.pause_reason, health.updated_at = 0, "open", None, now
            self._audit(s, now, actor, "sync.mass_deletion." + ("recreate" if recreate else "accept"), "calendar",
                        calendar, {"count": count})
            s.commit()
        return count

    def busy_blocks(self, start: datetime, end: datetime, exclude_appointment: str | None = None) -> list[BusyBlock]:
        """What is not free in [start, end): our confirmed appointments and the calendars' busy events (ours, seen
        again on a calendar, are not counted twice)."""
        A, E = t.Appointment, t.ExternalEvent
        # columns only, no records (the mapper asks once per batch of deliveries, the review pane once per edit)
        ours = (select(A.start_at, A.end_at, A.service, A.caller_name)
                .where(_appt_overlaps(start, end), A.status != AppointmentStatus.CANCELLED.value)
                .order_by(A.start_at))
        if exclude_appointment is not None:
            ours = ours.where(A.id != exclude_appointment)
        theirs = (select(E.start_at, E.end_at, E.calendar, E.title)
                  .where(_event_overlaps(start, end), E.busy.is_(True), E.uid.is_(None)).order_by(E.start_at))
        with self.session() as s:
            busy = [BusyBlock(a_start, a_end, "appointment", f"{service} — {caller}")
                    for a_start, a_end, service, caller in s.execute(ours)]
            busy += [BusyBlock(e_start, e_end, calendar, title)
                     for e_start, e_end, calendar, title in s.execute(theirs)]
        return busy

    # --- outbox ---------------------------------------------------------------------------------------------------

    def outbox_due(self, now: datetime, limit: int = 50) -> list[tuple[int, str, dict, int, datetime | None]]:
        """(id, topic, payload, attempts, sending_at) of messages owed now; ``sending_at`` set means an earlier
        send may have gone out (a crash or a lost answer): check with the provider before sending again."""
        q = (select(t.OutboxMessage).where(t.OutboxMessage.done_at.is_(None), t.OutboxMessage.available_at <= now)
             .order_by(t.OutboxMessage.id).limit(limit))
        with self.session() as s:
            return [(r.id, r.topic, dict(r.payload), r.attempts, r.sending_at) for r in s.scalars(q)]

    def outbox_sending(self, message_id: int, now: datetime) -> None:
        """Committed before the provider is asked, so a crash right after sending is known at the next start."""
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id, t.OutboxMessage.sending_at.is_(None))
                      .values(sending_at=now))
            s.commit()

    def outbox_done(self, message_id: int, now: datetime, provider_id: str | None = None) -> None:
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id)
                      .values(done_at=now, provider_id=provider_id))
            s.commit()

    def outbox_failed(self, message_id: int, error: str, retry_at: datetime | None, now: datetime,
                      surely_not_sent: bool = False) -> None:
        """Record a failed send; ``surely_not_sent`` (the provider refused it) clears the sending mark, otherwise
        (timeout, dropped answer) the next attempt checks with the provider first."""
        values = {"attempts": t.OutboxMessage.attempts + 1, "last_error": error}
        values["available_at" if retry_at else "done_at"] = retry_at or now
        if surely_not_sent:
            values["sending_at"] = None
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id).values(**values))
            s.commit()

    # --- audit and leases -----------------------------------------------------------------------------------------

    @staticmethod
    def _audit(s: Session, now: datetime, actor: str, action: str, entity: str, entity_id: str, detail: dict) -> None:
        s.add(t.AuditEntry(at=now, actor=actor, action=action, entity=entity, entity_id=entity_id, detail=detail))

    def audit(self, now: datetime, actor: str, action: str, entity: str, entity_id: str, detail: dict | None = None):
        with self.session() as s:
            self._audit(s, now, actor, action, entity, entity_id, detail or {})
            s.commit()

    def lease_holder(self, name: str, now: datetime) -> str | None:
        """Who holds the lease ``name`` now (None if nobody, or it expired)."""
        with self.session() as s:
            row = s.get(t.Lease, name)
            return row.holder if row is not None and row.expires_at > now else None

    def acquire_lease(self, name: str, holder: str, ttl: timedelta, now: datetime,
                      take_over: str | None = None) -> bool:
        """Take or renew the lease ``name`` for ``holder``. One conditional UPDATE, so two desks racing on a
        shared PostgreSQL cannot both win. ``take_over`` names a holder known to be dead (a crashed process of this
        desk) whose unexpired lease may be taken at once."""
        expires = now + ttl
        mine = [t.Lease.holder == holder, t.Lease.expires_at <= now]
        if take_over:
            mine.append(t.Lease.holder == take_over)
        with self.session() as s:
            won = s.execute(
                update(t.Lease).where(t.Lease.name == name, or_(*mine)).values(holder=holder, expires_at=expires)
            ).rowcount
            if not won:
                if s.get(t.Lease, name) is not None:
                    s.rollback()
                    return False
                s.add(t.Lease(name=name, holder=holder, expires_at=expires))
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
                    return False
                return True
            s.commit()
            return True

    def release_lease(self, name: str, holder: str) -> None:
        with self.session() as s:
            s.execute(delete(t.Lease).where(t.Lease.name == name, t.Lease.holder == holder))
            s.commit()


__all__ = ["Store", "StaleEdit"]
