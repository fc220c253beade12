"""The store: every read and write the rest of the app makes, each in its own short transaction.

Methods take and return plain records (``receptionist.domain.models``); no ORM object leaves this module, so the
UI thread, the webhook thread and the sync thread never share a session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    BusyBlock,
    CallRecord,
    ExternalEventRecord,
    FieldIssue,
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


class StaleEdit(UserError):
    """Someone else (another desk) changed or decided this item first."""


def _issues(rows: list) -> tuple[FieldIssue, ...]:
    return tuple(FieldIssue.from_dict(r) for r in rows or ())


def _link(row: t.CalendarLink) -> LinkRecord:
    return LinkRecord(
        id=row.id, appointment_id=row.appointment_id, calendar=row.calendar, state=SyncState(row.state),
        remote_id=row.remote_id, etag=row.etag, content_hash=row.content_hash, last_error=row.last_error,
        attempts=row.attempts, next_attempt_at=row.next_attempt_at, synced_at=row.synced_at,
    )


def _appointment(row: t.Appointment) -> AppointmentRecord:
    return AppointmentRecord(
        id=row.id, caller_name=row.caller_name, callback_number=row.callback_number, account_id=row.account_id,
        service=row.service, start=row.start_at, end=row.end_at, notes=row.notes,
        status=AppointmentStatus(row.status), call_id=row.call_id, version=row.version,
        links=tuple(_link(link) for link in row.links),
    )


def _proposal(row: t.BookingProposal) -> ProposalRecord:
    return ProposalRecord(
        id=row.id, status=ProposalStatus(row.status), caller_name=row.caller_name,
        callback_number=row.callback_number, service=row.service, start=row.start_at,
        duration_minutes=row.duration_minutes, notes=row.notes, issues=_issues(row.issues), version=row.version,
        appointment_id=row.appointment_id, decided_by=row.decided_by, reject_reason=row.reject_reason,
    )


def _call(row: t.Call) -> CallRecord:
    return CallRecord(
        id=row.id, platform=row.platform, call_id=row.call_id, received_at=row.received_at,
        occurred_at=row.occurred_at, caller_name=row.caller_name, callback_number=row.callback_number,
        callback_number_raw=row.callback_number_raw, account_id=row.account_id,
        reason_codes=tuple(row.reason_codes or ()), service=row.service, requested_start=row.requested_start,
        requested_start_raw=row.requested_start_raw, duration_minutes=row.duration_minutes, message=row.message,
        summary=row.summary, transcript=tuple((s, x) for s, x in (row.transcript or ())), agent_id=row.agent_id,
        custom_fields=dict(row.custom_fields or {}), issues=_issues(row.issues),
        proposal=_proposal(row.proposal) if row.proposal is not None else None,
        intent=row.intent or "book", caller_id_number=row.caller_id_number, raw_fields=dict(row.raw_fields or {}),
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

    def call_exists(self, platform: str, call_id: str) -> bool:
        with self.session() as s:
            return s.scalar(select(t.Call.id).where(t.Call.platform == platform, t.Call.call_id == call_id)) is not None

    def record_call(self, capture: CallCapture, payload: dict, received_at: datetime) -> tuple[CallRecord, bool]:
        """Store a call and its booking proposal in one transaction. A second delivery returns (existing, False)."""
        row = call_row(capture, payload, received_at)
        with self.session() as s:
            s.add(row)
            try:
                s.flush()
                self._audit(s, received_at, "ingest", "call.received", "call", str(row.id),
                            {"platform": capture.platform, "call_id": capture.call_id})
                s.commit()
            except IntegrityError:
                s.rollback()
                existing = s.scalar(self._call_query().where(
                    t.Call.platform == capture.platform, t.Call.call_id == capture.call_id))
                if existing is None:
                    raise
                return _call(existing), False
            return _call(s.get(t.Call, row.id)), True

    @staticmethod
    def _call_query():
        return select(t.Call).options(selectinload(t.Call.proposal))

    def get_call(self, call_row_id: int) -> CallRecord | None:
        with self.session() as s:
            row = s.scalar(self._call_query().where(t.Call.id == call_row_id))
            return _call(row) if row else None

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
                t.CalendarLink(calendar=c, state=SyncState.PENDING.value, attempts=0, updated_at=now)
                for c in calendars
            ]
            s.add(appt)
            row.caller_name, row.callback_number, row.service = draft.caller_name, draft.callback_number, draft.service
            row.start_at, row.duration_minutes, row.notes = draft.start, draft.duration_minutes, draft.notes
            row.status, row.decided_at, row.decided_by = ProposalStatus.APPROVED.value, now, actor
            row.appointment_id = appt.id
            for topic, payload in outbox:
                s.add(t.OutboxMessage(topic=topic, payload={**payload, "appointment_id": appt.id}, created_at=now,
                                      available_at=now, attempts=0))
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
        if start is not None:
            q = q.where(t.Appointment.end_at > start)
        if end is not None:
            q = q.where(t.Appointment.start_at < end)
        if not include_cancelled:
            q = q.where(t.Appointment.status != AppointmentStatus.CANCELLED.value)
        with self.session() as s:
            return [_appointment(r) for r in s.scalars(q)]

    def links_due(self, now: datetime, max_attempts: int, limit: int = 100) -> list[LinkRecord]:
        """Links owed a write: pending ones, and failed ones whose backoff has run out."""
        q = (
            select(t.CalendarLink)
            .where(or_(
                t.CalendarLink.state == SyncState.PENDING.value,
                and_(t.CalendarLink.state == SyncState.FAILED.value, t.CalendarLink.attempts < max_attempts,
                     or_(t.CalendarLink.next_attempt_at.is_(None), t.CalendarLink.next_attempt_at <= now)),
            ))
            .order_by(t.CalendarLink.next_attempt_at.is_(None).desc(), t.CalendarLink.next_attempt_at, t.CalendarLink.id)
            .limit(limit)
        )
        with self.session() as s:
            return [_link(r) for r in s.scalars(q)]

    def next_retry_at(self, max_attempts: int) -> datetime | None:
        with self.session() as s:
            return s.scalar(select(func.min(t.CalendarLink.next_attempt_at)).where(
                t.CalendarLink.state == SyncState.FAILED.value, t.CalendarLink.attempts < max_attempts))

    def save_link(self, link_id: int, now: datetime, **changes) -> LinkRecord:
        allowed = {"state", "remote_id", "etag", "content_hash", "last_error", "attempts", "next_attempt_at",
                   "synced_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"unknown link fields {unknown}")
        if isinstance(changes.get("state"), SyncState):
            changes["state"] = changes["state"].value
        with self.session() as s:
            row = s.get(t.CalendarLink, link_id)
            if row is None:
                raise UserError(f"sync link {link_id} does not exist")
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = now
            s.commit()
            return _link(row)

    def retry_links(self, now: datetime, link_ids: Iterable[int] | None = None, actor: str = "staff") -> int:
        """Put failed/conflict/drift links back to pending now (a person pressed Retry / Retry all failed)."""
        q = update(t.CalendarLink).values(state=SyncState.PENDING.value, attempts=0, next_attempt_at=None,
                                          updated_at=now)
        if link_ids is None:
            q = q.where(t.CalendarLink.state == SyncState.FAILED.value)
        else:
            ids = list(link_ids)
            q = q.where(t.CalendarLink.id.in_(ids), t.CalendarLink.state != SyncState.SYNCED.value)
        with self.session() as s:
            count = s.execute(q).rowcount
            self._audit(s, now, actor, "sync.retry", "link", "all" if link_ids is None else ",".join(map(str, ids)),
                        {"count": count})
            s.commit()
            return count

    def sync_counts(self) -> dict[str, dict[str, int]]:
        """{calendar: {state: count}} for the health view and ``status``."""
        with self.session() as s:
            out: dict[str, dict[str, int]] = {}
            for cal, state, n in s.execute(select(t.CalendarLink.calendar, t.CalendarLink.state, func.count())
                                           .group_by(t.CalendarLink.calendar, t.CalendarLink.state)):
                out.setdefault(cal, {})[state] = n
            return out

    # --- external events (busy time, merged view) ---------------------------------------------------------------

    def get_cursor(self, calendar: str) -> tuple[str | None, datetime | None, datetime | None]:
        with self.session() as s:
            row = s.get(t.SyncCursor, calendar)
            return (row.cursor, row.window_start, row.window_end) if row else (None, None, None)

    def apply_remote_changes(self, calendar: str, events: list[RemoteEvent], deleted_ids: list[str], full: bool,
                             cursor: str | None, window: tuple[datetime, datetime], now: datetime) -> None:
        """Fold one incremental read into the cache, and move the cursor, in one transaction."""
        with self.session() as s:
            if full:
                s.execute(delete(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar))
            gone = set(deleted_ids) | {e.remote_id for e in events if e.cancelled}
            if gone:
                s.execute(delete(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar,
                                                        t.ExternalEvent.remote_id.in_(gone)))
            live = [e for e in events if not e.cancelled]
            # Recognise our own events by the link rows too: Graph delta answers carry no extended properties,
            # so an event we wrote can come back without its uid.
            ours = dict(s.execute(select(t.CalendarLink.remote_id, t.CalendarLink.appointment_id).where(
                t.CalendarLink.calendar == calendar,
                t.CalendarLink.remote_id.in_([e.remote_id for e in live if e.uid is None]))).all()) if live else {}
            for e in live:
                s.merge(t.ExternalEvent(calendar=calendar, remote_id=e.remote_id, title=e.title, start_at=e.start,
                                        end_at=e.end, busy=e.busy, all_day=e.all_day,
                                        uid=e.uid or ours.get(e.remote_id), updated_at=now))
            cur = s.get(t.SyncCursor, calendar) or t.SyncCursor(calendar=calendar)
            cur.cursor, cur.updated_at = cursor, now
            if full:
                cur.window_start, cur.window_end = window
            s.merge(cur)
            s.commit()

    def reset_cursor(self, calendar: str, now: datetime) -> None:
        with self.session() as s:
            s.execute(update(t.SyncCursor).where(t.SyncCursor.calendar == calendar).values(cursor=None, updated_at=now))
            s.commit()

    def external_events(self, start: datetime, end: datetime) -> list[ExternalEventRecord]:
        q = (select(t.ExternalEvent).where(t.ExternalEvent.end_at > start, t.ExternalEvent.start_at < end)
             .order_by(t.ExternalEvent.start_at))
        with self.session() as s:
            return [ExternalEventRecord(calendar=r.calendar, remote_id=r.remote_id, title=r.title, start=r.start_at,
                                        end=r.end_at, busy=r.busy, all_day=r.all_day, uid=r.uid)
                    for r in s.scalars(q)]

    def busy_blocks(self, start: datetime, end: datetime, exclude_appointment: str | None = None) -> list[BusyBlock]:
        """What is not free in [start, end): our confirmed appointments and the calendars' busy events (ours, seen
        again on a calendar, are not counted twice)."""
        busy = [BusyBlock(a.start, a.end, "appointment", f"{a.service} — {a.caller_name}")
                for a in self.appointments(start, end) if a.id != exclude_appointment]
        busy += [BusyBlock(e.start, e.end, e.calendar, e.title)
                 for e in self.external_events(start, end) if e.busy and e.uid is None]
        return busy

    # --- outbox ---------------------------------------------------------------------------------------------------

    def outbox_due(self, now: datetime, limit: int = 50) -> list[tuple[int, str, dict, int]]:
        q = (select(t.OutboxMessage).where(t.OutboxMessage.done_at.is_(None), t.OutboxMessage.available_at <= now)
             .order_by(t.OutboxMessage.id).limit(limit))
        with self.session() as s:
            return [(r.id, r.topic, dict(r.payload), r.attempts) for r in s.scalars(q)]

    def outbox_done(self, message_id: int, now: datetime) -> None:
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id).values(done_at=now))
            s.commit()

    def outbox_failed(self, message_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
        values = {"attempts": t.OutboxMessage.attempts + 1, "last_error": error}
        values["available_at" if retry_at else "done_at"] = retry_at or now
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

    def audit_entries(self, limit: int = 100) -> list[dict]:
        with self.session() as s:
            rows = s.scalars(select(t.AuditEntry).order_by(t.AuditEntry.id.desc()).limit(limit))
            return [{"at": r.at, "actor": r.actor, "action": r.action, "entity": r.entity,
                     "entity_id": r.entity_id, "detail": r.detail} for r in rows]

    def acquire_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Take or renew the lease ``name`` for ``holder``. One conditional UPDATE, so two desks racing on a
        shared PostgreSQL cannot both win."""
        expires = now + ttl
        with self.session() as s:
            won = s.execute(
                update(t.Lease).where(t.Lease.name == name, or_(t.Lease.holder == holder, t.Lease.expires_at <= now))
                .values(holder=holder, expires_at=expires)
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
