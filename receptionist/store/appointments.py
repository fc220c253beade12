"""Appointments: what the desk booked, read as records or as the views' rows, and changed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from receptionist.domain.availability import HeldRule
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentRow,
    AppointmentStatus,
    Attendance,
    LinkBadge,
    SyncState,
)
from receptionist.errors import UserError
from receptionist.store import tables as t
from receptionist.store.audit import audit_in
from receptionist.store.base import (
    REPUSH_STATES,
    Room,
    StaleEdit,
    appointment_overlaps,
    chunks,
    commit_or_stale,
    refuse_new_clash,
)
from receptionist.store.holds import refuse_held
from receptionist.store.outbox import queue_in
from receptionist.store.records import appointment_record

_ATTENTION = (SyncState.FAILED.value, SyncState.CONFLICT.value, SyncState.DRIFT.value, SyncState.RECONNECT.value)
# The columns of a view's row and of a link's badge (``_rows``), and their enums by stored value (a dict lookup:
# calling ``SyncState(value)`` costs microseconds, per link of every row listed).
_ROW_COLUMNS = (t.Appointment.id, t.Appointment.start_at, t.Appointment.end_at, t.Appointment.caller_name,
                t.Appointment.callback_number, t.Appointment.service, t.Appointment.status,
                t.Appointment.cancel_reason, t.Appointment.attendance, t.Appointment.resource)
_BADGE_COLUMNS = (t.CalendarLink.appointment_id, t.CalendarLink.id, t.CalendarLink.calendar, t.CalendarLink.state,
                  t.CalendarLink.last_error, t.CalendarLink.attempts, t.CalendarLink.next_attempt_at,
                  t.CalendarLink.synced_at,
                  # what differs matters for a Drift/Conflict only; every other link's detail is not decoded
                  case((t.CalendarLink.state.in_((SyncState.DRIFT.value, SyncState.CONFLICT.value)),
                        t.CalendarLink.detail)))
_SYNC_STATES = {s.value: s for s in SyncState}
_APPOINTMENT_STATUSES = {s.value: s for s in AppointmentStatus}


def load_appointment(s: Session, appointment_id: str) -> AppointmentRecord | None:
    row = s.scalar(select(t.Appointment).options(selectinload(t.Appointment.links))
                   .where(t.Appointment.id == appointment_id))
    return appointment_record(row) if row else None


def appointment_for_change(s: Session, appointment_id: str, version: int) -> t.Appointment:
    row = s.scalar(select(t.Appointment).options(selectinload(t.Appointment.links))
                   .where(t.Appointment.id == appointment_id))
    if row is None:
        raise UserError(f"appointment {appointment_id} does not exist")
    if row.version != version:
        raise StaleEdit("this appointment was changed at another desk; reopen it to see the change")
    return row


def repush(row: t.Appointment, now: datetime) -> None:
    for link in row.links:
        if link.state in REPUSH_STATES:
            link.state, link.attempts, link.next_attempt_at, link.last_error = (
                SyncState.PENDING.value, 0, None, None)
            link.updated_at = now


class AppointmentStore(Room):
    """Appointments: whole records for one, column-only rows for the views, and their changes."""

    def get(self, appointment_id: str) -> AppointmentRecord | None:
        with self.session() as s:
            return load_appointment(s, appointment_id)

    def between(self, start: datetime | None = None, end: datetime | None = None,
                     include_cancelled: bool = False) -> list[AppointmentRecord]:
        q = select(t.Appointment).options(selectinload(t.Appointment.links)).order_by(t.Appointment.start_at)
        if start is not None and end is not None:
            q = q.where(appointment_overlaps(start, end))
        elif start is not None:
            q = q.where(t.Appointment.end_at > start)
        elif end is not None:
            q = q.where(t.Appointment.start_at < end)
        if not include_cancelled:
            q = q.where(t.Appointment.status != AppointmentStatus.CANCELLED.value)
        with self.session() as s:
            return [appointment_record(r) for r in s.scalars(q)]

    def for_number(self, number: str, limit: int = 20) -> list[AppointmentRecord]:
        """Appointments booked for ``number`` (E.164), cancelled ones too, the latest start first."""
        with self.session() as s:
            return [appointment_record(r) for r in s.scalars(
                select(t.Appointment).options(selectinload(t.Appointment.links))
                .where(t.Appointment.callback_number == number)
                .order_by(t.Appointment.start_at.desc()).limit(limit))]

    def rows(self, start: datetime, end: datetime) -> list[AppointmentRow]:
        """The appointments overlapping [start, end), cancelled ones too, by start time, as the week view shows
        them (``AppointmentRow``: the shown columns and a badge per link)."""
        A = t.Appointment
        return self._rows(select(*_ROW_COLUMNS).where(appointment_overlaps(start, end)).order_by(A.start_at, A.id))

    def rows_by_id(self, ids: Iterable[str]) -> list[AppointmentRow]:
        """The rows of these appointments (a view updating the rows an event named)."""
        wanted = list(dict.fromkeys(ids))
        out: list[AppointmentRow] = []
        for chunk in chunks(wanted, 500):
            out += self._rows(select(*_ROW_COLUMNS).where(t.Appointment.id.in_(chunk)))
        return out

    def page(self, start: datetime, end: datetime, *, offset: int = 0,
                         limit: int = 200) -> list[AppointmentRow]:
        """One page of what the appointments view shows: the appointments in [start, end), then every other one
        with a link that needs attention (Failed, Conflict, Drift, Reconnect), by start time. Indexed, limited:
        the cost does not grow with the years of data behind it."""
        A, L = t.Appointment, t.CalendarLink
        attention = select(L.appointment_id).where(L.state.in_(_ATTENTION)).scalar_subquery()
        return self._rows(select(*_ROW_COLUMNS).where(or_(appointment_overlaps(start, end), A.id.in_(attention)))
                          .order_by(A.start_at, A.id).offset(offset).limit(limit))

    def _rows(self, appointments) -> list[AppointmentRow]:
        """``appointments`` (a select of ``_ROW_COLUMNS``) as rows, in its order, each with its links' badges
        (read by the appointment ids, 500 at a time, through the (appointment, calendar) unique index)."""
        L = t.CalendarLink
        with self.session() as s:
            conn = s.connection()  # Core rows: the ORM's result layer would cost more than the rows themselves
            found = conn.execute(appointments).all()
            badges: dict[str, list[LinkBadge]] = {}
            for chunk in chunks([r[0] for r in found], 500):
                for appointment_id, *link in conn.execute(select(*_BADGE_COLUMNS)
                                                          .where(L.appointment_id.in_(chunk))
                                                          .order_by(L.appointment_id, L.calendar)).all():
                    badges.setdefault(appointment_id, []).append(
                        LinkBadge(link[0], link[1], _SYNC_STATES[link[2]], *link[3:]))
        return [AppointmentRow(i, start, end, caller, phone, service, _APPOINTMENT_STATUSES[status], reason,
                               tuple(badges.get(i, ())), Attendance(attendance) if attendance else None,
                               resource=resource)
                for i, start, end, caller, phone, service, status, reason, attendance, resource in found]

    def counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Counts for the view's header, in SQL: appointments in the window (live and cancelled) and links that
        need attention anywhere."""
        A, L = t.Appointment, t.CalendarLink
        with self.session() as s:
            live, cancelled = (s.scalar(select(func.count()).select_from(A).where(
                appointment_overlaps(start, end), A.status == status)) or 0
                for status in (AppointmentStatus.CONFIRMED.value, AppointmentStatus.CANCELLED.value))
            by_state = dict(s.execute(select(L.state, func.count()).where(L.state.in_(_ATTENTION))
                                      .group_by(L.state)).all())
        return {"live": live, "cancelled": cancelled, "attention": sum(by_state.values()), **by_state}

    def create(self, draft: BookingDraft, calendars: Iterable[str], actor: str, now: datetime,
               outbox: Iterable[tuple[str, dict]] = (), seen_clashes: frozenset[str] | None = None,
               held: HeldRule | None = None) -> AppointmentRecord:
        """A booking made at the desk (no call behind it): a confirmed appointment with a pending link per calendar
        and any outbox messages, atomically. One booked at another desk at this time since the check (not among
        ``seen_clashes``), or a slot held for a caller since that the booking rule refuses it for (``held``:
        ``holds.refuse_held``), is a ``StaleEdit``, and nothing is written."""
        assert draft.start is not None and draft.end is not None
        with self.session() as s:
            refuse_new_clash(s, draft.start, draft.end, seen_clashes, resource=draft.resource)
            if held is not None:
                refuse_held(s, draft.start, draft.end, now, draft.resource, held)
            appt = t.Appointment(
                id=uuid.uuid4().hex, caller_name=draft.caller_name, callback_number=draft.callback_number,
                service=draft.service, start_at=draft.start, end_at=draft.end, notes=draft.notes,
                resource=draft.resource,
                status=AppointmentStatus.CONFIRMED.value, created_at=now, updated_at=now)
            appt.links = [t.CalendarLink(calendar=c, state=SyncState.PENDING.value, attempts=0, generation=0,
                                         updated_at=now) for c in calendars]
            s.add(appt)
            queue_in(s, outbox, appt.id, now)
            audit_in(s, now, actor, "appointment.booked", "appointment", appt.id, {"start": draft.start.isoformat()})
            commit_or_stale(s)
            return load_appointment(s, appt.id)

    def change(self, appointment_id: str, version: int, changes: dict, actor: str, now: datetime,
                           outbox: Iterable[tuple[str, dict]] = (), action: str = "appointment.changed",
                           seen_clashes: frozenset[str] | None = None, held: HeldRule | None = None
                           ) -> AppointmentRecord:
        """Reschedule or edit (``start``, ``end``, ``service``, ``notes``, ``caller_name``, overrides): the
        appointment changes and every calendar link is owed the new version, atomically with any SMS. A move onto
        an appointment booked at another desk since the check (not among ``seen_clashes``), or onto a slot held for a
        caller since that the booking rule refuses it for (``held``: ``holds.refuse_held``), is a ``StaleEdit``."""
        allowed = {"start", "end", "service", "notes", "caller_name", "callback_number", "title_override",
                   "description_override", "resource"}
        if set(changes) - allowed:
            raise TypeError(f"unknown appointment fields {set(changes) - allowed}")
        with self.session() as s:
            row = appointment_for_change(s, appointment_id, version)
            if row.status == AppointmentStatus.CANCELLED.value:
                raise UserError("this appointment is cancelled; book a new one instead")
            before = {"start": row.start_at.isoformat(), "end": row.end_at.isoformat(), "service": row.service}
            before_start = row.start_at
            if "start" in changes:
                refuse_new_clash(s, changes["start"], changes["end"], seen_clashes, exclude=appointment_id,
                                 resource=changes.get("resource", row.resource))
                if held is not None:
                    refuse_held(s, changes["start"], changes["end"], now, changes.get("resource", row.resource), held)
            for key, value in changes.items():
                setattr(row, {"start": "start_at", "end": "end_at"}.get(key, key), value)
            if "start" in changes and changes["start"] != before_start:  # a new time: whether they came is not known
                row.attendance = row.attendance_by = row.attendance_at = None
            row.updated_at = now
            repush(row, now)
            queue_in(s, outbox, appointment_id, now)
            audit_in(s, now, actor, action, "appointment", appointment_id,
                        {"before": before, "changes": {k: (v.isoformat() if isinstance(v, datetime) else v)
                                                       for k, v in changes.items()}})
            commit_or_stale(s)
        return self.get(appointment_id)

    def cancel(self, appointment_id: str, version: int, reason: str, actor: str, now: datetime,
                           outbox: Iterable[tuple[str, dict]] = ()) -> AppointmentRecord:
        """Cancel: kept (shown as cancelled), and every calendar is owed the deletion of its event."""
        with self.session() as s:
            row = appointment_for_change(s, appointment_id, version)
            if row.status == AppointmentStatus.CANCELLED.value:
                raise StaleEdit(f"this appointment was already cancelled ({row.cancel_reason or 'no reason given'})")
            row.status, row.cancel_reason, row.updated_at = AppointmentStatus.CANCELLED.value, reason, now
            repush(row, now)
            queue_in(s, outbox, appointment_id, now)
            audit_in(s, now, actor, "appointment.cancelled", "appointment", appointment_id, {"reason": reason})
            commit_or_stale(s)
        return self.get(appointment_id)

    def mark_attendance(self, appointment_id: str, version: int, attendance: Attendance, actor: str,
                        now: datetime) -> AppointmentRecord:
        """Attended or no-show, once the appointment's time has come; a mark may be corrected (the audit keeps
        the one it replaced). No calendar is owed anything: the event itself does not change."""
        with self.session() as s:
            row = appointment_for_change(s, appointment_id, version)
            if row.status == AppointmentStatus.CANCELLED.value:
                raise UserError("this appointment is cancelled: there is nothing to mark attended or no-show")
            if row.start_at > now:
                raise UserError("this appointment has not started yet: mark it attended or no-show once it has")
            before = row.attendance
            row.attendance, row.attendance_by, row.attendance_at = attendance.value, actor, now
            audit_in(s, now, actor, f"appointment.{attendance.value}", "appointment",
                     appointment_id, {"before": before, "attendance": attendance.value})
            commit_or_stale(s)
        return self.get(appointment_id)
