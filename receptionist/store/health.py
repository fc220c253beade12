"""Calendar health: the per-calendar state every desk shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from receptionist.domain.models import (
    CalendarHealthRecord,
    SyncState,
)
from receptionist.store import tables as t
from receptionist.store.base import Room
from receptionist.store.records import health_record


class HealthStore(Room):
    """Each calendar's health (gate, pause, last pull and error, held deletions), shared by every desk."""

    def all(self) -> dict[str, CalendarHealthRecord]:
        with self.session() as s:
            return {r.calendar: health_record(r) for r in s.scalars(select(t.CalendarHealth))}

    def of(self, calendar: str) -> CalendarHealthRecord:
        """One calendar's row (an open gate and nothing known yet when it has none)."""
        with self.session() as s:
            row = s.get(t.CalendarHealth, calendar)
            return health_record(row) if row is not None else CalendarHealthRecord(calendar=calendar, gate="open")

    def save(self, calendar: str, now: datetime, **changes) -> CalendarHealthRecord:
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
            return health_record(row)

    def reopen(self, calendar: str, now: datetime) -> int:
        """After a sign-in: the calendar takes requests again, its links waiting for sign-in are owed now, and the
        sign-in's time is kept."""
        with self.session() as s:
            row = s.get(t.CalendarHealth, calendar)
            if row is not None:
                row.gate, row.paused_until, row.pause_reason, row.updated_at = "open", None, None, now
            mark = s.get(t.ConnectionMark, calendar)  # when it was signed in (the sign-in forecast)
            if mark is None:
                s.add(t.ConnectionMark(connection=calendar, first_seen_at=now, signed_in_at=now))
            else:
                mark.signed_in_at = now
            n = s.execute(update(t.CalendarLink).where(t.CalendarLink.calendar == calendar,
                                                        t.CalendarLink.state == SyncState.RECONNECT.value)
                          .values(state=SyncState.PENDING.value, last_error=None, updated_at=now)).rowcount
            s.commit()
            return n
