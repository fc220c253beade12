"""The outbox: texts owed to callers, written with the change they tell of."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from receptionist.store import tables as t
from receptionist.store.base import Room


def queue_in(s: Session, outbox: Iterable[tuple[str, dict]], appointment_id: str, now: datetime) -> None:
    """Add messages to the outbox in the caller's transaction (atomically with the change they tell of)."""
    for topic, payload in outbox:
        s.add(t.OutboxMessage(topic=topic, payload={**payload, "appointment_id": appointment_id},
                              created_at=now, available_at=now, attempts=0, appointment_id=appointment_id))


class OutboxStore(Room):
    """Messages owed to callers (SMS), each sent once: due, sending, done or failed."""

    def due(self, now: datetime, limit: int = 50) -> list[tuple[int, str, dict, int, datetime | None]]:
        """(id, topic, payload, attempts, sending_at) of messages owed now; ``sending_at`` set means an earlier
        send may have gone out (a crash or a lost answer): check with the provider before sending again."""
        q = (select(t.OutboxMessage).where(t.OutboxMessage.done_at.is_(None), t.OutboxMessage.available_at <= now)
             .order_by(t.OutboxMessage.id).limit(limit))
        with self.session() as s:
            return [(r.id, r.topic, dict(r.payload), r.attempts, r.sending_at) for r in s.scalars(q)]

    def sending(self, message_id: int, now: datetime) -> None:
        """Committed before the provider is asked, so a crash right after sending is known at the next start."""
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id, t.OutboxMessage.sending_at.is_(None))
                      .values(sending_at=now))
            s.commit()

    def done(self, message_id: int, now: datetime, provider_id: str | None = None) -> None:
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id)
                      .values(done_at=now, provider_id=provider_id))
            s.commit()

    def defer(self, message_id: int, until: datetime) -> None:
        """Not sent yet, with no error: owed again at ``until`` (the end of the quiet hours)."""
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id).values(available_at=until))
            s.commit()

    def skip(self, message_id: int, why: str, now: datetime) -> None:
        """Done without sending (the caller replied STOP, the appointment moved): ``provider_id`` "" says nothing
        went out, and ``why`` stays with the row; not an error of the SMS connection."""
        with self.session() as s:
            s.execute(update(t.OutboxMessage).where(t.OutboxMessage.id == message_id)
                      .values(done_at=now, provider_id="", last_error=why))
            s.commit()

    def failed(self, message_id: int, error: str, retry_at: datetime | None, now: datetime,
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

    def last_error(self) -> str | None:
        """Why the newest message tried failed, or None when it went out (or none was tried): the SMS pill's
        sentence, the same at every desk and after a restart."""
        M = t.OutboxMessage
        tried = or_(M.attempts > 0, M.done_at.is_not(None), M.sending_at.is_not(None))
        with self.session() as s:
            row = s.execute(select(M.provider_id, M.last_error).where(tried).order_by(M.id.desc()).limit(1)).first()
        return None if row is None or row.provider_id is not None else row.last_error
