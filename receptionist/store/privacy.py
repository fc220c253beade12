"""A caller's data, exported and forgotten: everything the desk holds about one phone number.

Forgetting erases the calls (their transcripts, summaries and payloads, their proposals and callbacks), the raw
deliveries they came from, the live-call rows, the texts to and from the number; the appointments stay (the
business's book) with the name, number, account and notes replaced, and every calendar is owed the anonymous
version. A STOP stays recorded (the number is not texted again). The audit log keeps that it happened, with the
number masked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from receptionist.store import tables as t
from receptionist.store.appointments import repush
from receptionist.store.audit import audit_in
from receptionist.store.base import Room

FORGOTTEN = "Forgotten caller"


def masked(number: str) -> str:
    return "…" + number[-4:]


def _plain(row, skip: tuple[str, ...] = ()) -> dict:
    out = {}
    for column in row.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(row, column.key)
        out[column.key] = value.isoformat() if isinstance(value, datetime) else \
            value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return out


class CallerData(Room):
    def _calls(self, number: str):
        C = t.Call
        return select(C).where(or_(C.callback_number == number, C.caller_id_number == number))

    def export(self, number: str, actor: str, now: datetime) -> dict:
        """Everything held about ``number``, as plain JSON-able data; the export is audited."""
        with self.session() as s:
            calls = list(s.scalars(self._calls(number).options(selectinload(t.Call.proposal)).order_by(t.Call.id)))
            ids = [c.id for c in calls]
            call_ids = [c.call_id for c in calls]
            appts = list(s.scalars(select(t.Appointment).where(or_(
                t.Appointment.callback_number == number, t.Appointment.call_id.in_(call_ids)))
                .order_by(t.Appointment.start_at)))
            out = {
                "number": number, "exported_at": now.isoformat(),
                "calls": [{**_plain(c, ("payload",)),
                           "proposal": _plain(c.proposal) if c.proposal is not None else None} for c in calls],
                "appointments": [_plain(a) for a in appts],
                "callbacks": [_plain(r) for r in s.scalars(select(t.Callback).where(t.Callback.call_row_id.in_(ids)))],
                "texts_sent": [_plain(m) for m in s.scalars(select(t.OutboxMessage).where(
                    t.OutboxMessage.payload["to"].as_string() == number).order_by(t.OutboxMessage.id))],
                "texts_received": [_plain(r) for r in s.scalars(select(t.SmsReply).where(
                    t.SmsReply.from_number == number).order_by(t.SmsReply.id))],
                "texts_stopped": bool(s.scalar(select(t.SmsOptOut.stopped).where(t.SmsOptOut.number == number))),
            }
            audit_in(s, now, actor, "caller.exported", "caller", masked(number),
                     {"calls": len(calls), "appointments": len(appts)})
            s.commit()
            return out

    def forget(self, number: str, actor: str, now: datetime) -> dict[str, int]:
        """Erase what is held about ``number`` (see the module), in one transaction; returns what was done."""
        with self.session() as s:
            calls = list(s.scalars(self._calls(number)))
            ids, call_ids = [c.id for c in calls], [c.call_id for c in calls]
            appts = list(s.scalars(select(t.Appointment).options(selectinload(t.Appointment.links)).where(or_(
                t.Appointment.callback_number == number, t.Appointment.call_id.in_(call_ids)))))
            for a in appts:
                a.caller_name, a.callback_number, a.account_id, a.notes = FORGOTTEN, None, None, ""
                a.title_override = a.description_override = None
                a.updated_at = now
                repush(a, now)  # the calendars get the anonymous version
            inbox = [c.inbox_id for c in calls if c.inbox_id is not None]
            s.execute(delete(t.Callback).where(t.Callback.call_row_id.in_(ids)))
            s.execute(delete(t.BookingProposal).where(t.BookingProposal.call_row_id.in_(ids)))
            s.execute(delete(t.Call).where(t.Call.id.in_(ids)))
            s.execute(delete(t.InboxDelivery).where(or_(t.InboxDelivery.id.in_(inbox),
                                                        t.InboxDelivery.call_row_id.in_(ids))))
            s.execute(delete(t.LiveCall).where(t.LiveCall.caller_id_number == number))
            texts = s.execute(delete(t.OutboxMessage).where(
                t.OutboxMessage.payload["to"].as_string() == number)).rowcount
            replies = s.execute(delete(t.SmsReply).where(t.SmsReply.from_number == number)).rowcount
            for entry in s.scalars(select(t.AuditEntry).where(or_(
                    t.AuditEntry.entity_id == number, t.AuditEntry.detail["to"].as_string() == number))):
                entry.entity_id = masked(number) if entry.entity_id == number else entry.entity_id
                entry.detail = {k: (masked(v) if v == number else v) for k, v in (entry.detail or {}).items()}
            done = {"calls": len(ids), "appointments": len(appts), "texts": texts + replies}
            audit_in(s, now, actor, "caller.forgotten", "caller", masked(number), done)
            s.commit()
            return done
