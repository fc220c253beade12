"""Texting the caller beyond the confirmation: reminders queued in the outbox, opt-outs (STOP/START), the
replies that come back through Twilio's inbound webhook, and each text's delivery status (Twilio's status
callbacks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from receptionist.domain.callbacks import CallbackReason
from receptionist.domain.intake import InboxState
from receptionist.domain.models import AppointmentStatus
from receptionist.domain.reminders import Reply
from receptionist.domain.texting import TextDelivery, moves_forward
from receptionist.store import tables as t
from receptionist.store.audit import audit_in
from receptionist.store.base import Room
from receptionist.store.callbacks import open_callback_in


@dataclass(frozen=True)
class ReminderDue:
    """An appointment a reminder may be owed to (the planner decides when, and the words)."""

    appointment_id: str
    start: datetime
    caller_name: str | None
    number: str
    service: str | None


@dataclass(frozen=True)
class ReplyTaken:
    action: Reply
    appointment_id: str | None
    duplicate: bool = False


#: (a due appointment) → (when the reminder goes out, its words), or None when none goes out
Planner = Callable[[ReminderDue], "tuple[datetime, str] | None"]


def _inbox_done(s: Session, inbox_id: int | None, at: datetime, reason: str) -> None:
    if inbox_id is not None:
        s.execute(update(t.InboxDelivery).where(t.InboxDelivery.id == inbox_id).values(
            state=InboxState.DONE.value, reason=reason, processed_at=at, attempts=t.InboxDelivery.attempts + 1))


class Texting(Room):
    def stopped(self, number: str) -> bool:
        """Whether ``number`` replied STOP (and not START since)."""
        with self.session() as s:
            row = s.get(t.SmsOptOut, number)
            return bool(row and row.stopped)

    def queue_reminders(self, now: datetime, until: datetime, plan: Planner) -> int:
        """Queue a reminder in the outbox for each confirmed appointment starting in (now, until] that has none for
        its current start, with a number that did not reply STOP. The reminder row and its outbox row are written
        together; a second desk doing the same meets the unique key and adds nothing."""
        A = t.Appointment
        with self.session() as s:
            known = select(t.Reminder.id).where(t.Reminder.appointment_id == A.id, t.Reminder.start_at == A.start_at)
            stopped = select(t.SmsOptOut.number).where(t.SmsOptOut.number == A.callback_number,
                                                       t.SmsOptOut.stopped.is_(True))
            rows = s.execute(select(A.id, A.start_at, A.caller_name, A.callback_number, A.service).where(
                A.status == AppointmentStatus.CONFIRMED.value, A.start_at > now, A.start_at <= until,
                A.callback_number.is_not(None), ~known.exists(), ~stopped.exists())).all()
            made = 0
            for r in rows:
                planned = plan(ReminderDue(r.id, r.start_at, r.caller_name, r.callback_number, r.service))
                if planned is None:
                    continue
                at, body = planned
                message = t.OutboxMessage(topic="sms.reminder", created_at=now, available_at=max(at, now), attempts=0,
                                          appointment_id=r.id,
                                          payload={"to": r.callback_number, "body": body, "appointment_id": r.id,
                                                   "start_utc": r.start_at.isoformat()})
                s.add(message)
                s.flush()
                s.add(t.Reminder(appointment_id=r.id, start_at=r.start_at, outbox_id=message.id, created_at=now))
                made += 1
            try:
                s.commit()
            except IntegrityError:  # another desk queued them first
                s.rollback()
                return 0
            return made

    def still_owed(self, appointment_id: str, start_utc: str) -> bool:
        """Whether a reminder queued for this appointment at this start still tells the truth (not cancelled, not
        moved)."""
        with self.session() as s:
            row = s.get(t.Appointment, appointment_id)
            return (row is not None and row.status == AppointmentStatus.CONFIRMED.value
                    and row.start_at.isoformat() == start_utc)

    def take_reply(self, sid: str, number: str, body: str, action: Reply, now: datetime, callback_due: datetime,
                   inbox_id: int | None = None, processed_at: datetime | None = None) -> ReplyTaken:
        """Record a reply received at ``now`` and do what it says, in one transaction with its inbox row marked
        done (``inbox_id``, at ``processed_at``): STOP/START the number; C confirms the caller's next appointment;
        R puts the call that booked it on the callback desk. A reply taken before (the same MessageSid) changes
        nothing."""
        with self.session() as s:
            known = s.scalar(select(t.SmsReply).where(t.SmsReply.sid == sid))
            if known is not None:
                _inbox_done(s, inbox_id, processed_at or now, "this reply was taken before")
                s.commit()
                return ReplyTaken(Reply(known.action), known.appointment_id, duplicate=True)
            appt = None
            if action in (Reply.CONFIRM, Reply.RESCHEDULE):
                A = t.Appointment
                appt = s.scalar(select(A).where(A.callback_number == number,
                                                A.status == AppointmentStatus.CONFIRMED.value, A.start_at > now)
                                .order_by(A.start_at).limit(1))
            if action in (Reply.STOP, Reply.START):
                row = s.get(t.SmsOptOut, number)
                if row is None:
                    s.add(t.SmsOptOut(number=number, stopped=action is Reply.STOP, updated_at=now))
                else:
                    row.stopped, row.updated_at = action is Reply.STOP, now
                audit_in(s, now, "caller", f"sms.{action.value}", "number", number, {"sid": sid})
            elif action is Reply.CONFIRM and appt is not None:
                appt.caller_confirmed_at = now
                audit_in(s, now, "caller", "appointment.caller_confirmed", "appointment", appt.id, {"sid": sid})
            elif action is Reply.RESCHEDULE and appt is not None and appt.call_id is not None:
                call_row_id = s.scalar(select(t.Call.id).where(t.Call.call_id == appt.call_id).limit(1))
                if call_row_id is not None:
                    open_callback_in(s, call_row_id, CallbackReason.RESCHEDULE, f"Replied “{body.strip()}” to the "
                                     "reminder", callback_due, now)
                audit_in(s, now, "caller", "appointment.reschedule_asked", "appointment", appt.id, {"sid": sid})
            s.add(t.SmsReply(sid=sid, from_number=number, body=body[:1600], received_at=now, action=action.value,
                             appointment_id=appt.id if appt is not None else None))
            _inbox_done(s, inbox_id, processed_at or now, f"text reply: {action.value}")
            try:
                s.commit()
            except IntegrityError:  # the same reply taken at the same moment by another thread
                s.rollback()
                return ReplyTaken(action, None, duplicate=True)
            return ReplyTaken(action, appt.id if appt is not None else None)

    def take_ack(self, sid: str, number: str, body: str, owner: str, alert_id: int | None, now: datetime,
                 inbox_id: int | None = None, processed_at: datetime | None = None) -> tuple[int | None, bool]:
        """An owner's text acknowledging an alert (``alert_id``, or the latest alert texted when None), in one
        transaction with the reply recorded and its inbox row marked done; audited with the owner's name. Returns
        (the alert acknowledged, or None when there is no such alert; whether this reply was taken
        before)."""
        A = t.HealthAlert
        with self.session() as s:
            if s.scalar(select(t.SmsReply.id).where(t.SmsReply.sid == sid)) is not None:
                _inbox_done(s, inbox_id, processed_at or now, "this reply was taken before")
                s.commit()
                return None, True
            row = s.get(A, alert_id) if alert_id is not None else s.scalar(
                select(A).where(A.texted_at.is_not(None), A.text_error.is_(None))
                .order_by(A.texted_at.desc(), A.id.desc()).limit(1))
            if row is not None and row.acked_at is None:
                row.acked_at, row.acked_by = now, owner
                audit_in(s, now, owner, "alert_acknowledged", "alert", str(row.id),
                         {"key": row.key, "text": row.text, "by_text": sid, "from": number})
            s.add(t.SmsReply(sid=sid, from_number=number, body=body[:1600], received_at=now,
                             action=Reply.ACK.value))
            _inbox_done(s, inbox_id, processed_at or now, f"alert acknowledged by text: {row.id}" if row is not None
                        else "an acknowledgement by text, but there is no such alert")
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return None, True
            return (row.id if row is not None else None), False

    def take_status(self, sid: str, status: str, error_code: int | None, at: datetime, inbox_id: int | None = None,
                    processed_at: datetime | None = None) -> bool:
        """Record Twilio's status callback of a text we sent, in one transaction with its inbox row marked done. A
        status that comes after a later one (Twilio does not keep their order) changes nothing. True if recorded."""
        with self.session() as s:
            row = s.get(t.SmsStatus, sid)
            news = moves_forward(row.status if row is not None else None, status)
            if news and row is None:
                s.add(t.SmsStatus(sid=sid, status=status, error_code=error_code, updated_at=at))
            elif news:
                row.status, row.error_code, row.updated_at = status, error_code, at
            _inbox_done(s, inbox_id, processed_at or at, f"text status: {status}" + ("" if news else " (late)"))
            try:
                s.commit()
            except IntegrityError:  # the first status of this text taken at the same moment by another desk
                s.rollback()
                return self.take_status(sid, status, error_code, at, inbox_id, processed_at)
            return news

    def deliveries(self, appointment_id: str) -> list[TextDelivery]:
        """The texts owed to the caller of an appointment, oldest first, each with how far it got."""
        M, S = t.OutboxMessage, t.SmsStatus
        with self.session() as s:
            rows = s.execute(select(M, S.status, S.error_code, S.updated_at)
                             .outerjoin(S, S.sid == M.provider_id)
                             .where(M.appointment_id == appointment_id, M.topic.like("sms.%"))
                             .order_by(M.id)).all()
            return [TextDelivery(id=m.id, topic=m.topic, to=m.payload.get("to", ""), body=m.payload.get("body", ""),
                                 queued_at=m.created_at, due_at=m.available_at, done_at=m.done_at,
                                 sid=m.provider_id, note=m.last_error, status=status, error_code=code,
                                 status_at=status_at)
                    for m, status, code, status_at in rows]
