"""The shared on-call calendar's shifts as the sync leader last read them, and how its refreshes went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from receptionist.domain.on_call import OnCall
from receptionist.store import tables as t
from receptionist.store.base import Room


@dataclass(frozen=True)
class OnCallRefreshRecord:
    calendar: str
    refreshed_at: datetime | None  # the last refresh that succeeded
    attempted_at: datetime | None  # the last one tried
    error: str | None  # why the last one failed (None when it succeeded)
    problems: tuple[str, ...] = ()  # what the events read got wrong (an event naming nobody, a person without phone)
    shifts: int = 0  # shifts the last good refresh stored


class OnCallShifts(Room):
    def replace(self, calendar: str, shifts: list[OnCall], problems: list[str], now: datetime) -> bool:
        """A good refresh: the calendar's shifts are these (all of them replaced in one transaction, so a reader
        never sees half a rota), and it succeeded at ``now``. Returns whether the shifts changed."""
        s_ = t.OnCallShift
        rows = sorted((c.person[:200], c.phone[:40], c.start, c.end) for c in shifts)
        with self.session() as s:
            before = sorted(tuple(r) for r in s.execute(select(s_.person, s_.phone, s_.start_at, s_.end_at).where(
                s_.calendar == calendar)))
            changed = before != rows
            if changed:
                s.execute(delete(s_).where(s_.calendar == calendar))
                s.add_all(s_(calendar=calendar, person=person, phone=phone, start_at=start, end_at=end)
                          for person, phone, start, end in rows)
            s.merge(t.OnCallRefresh(calendar=calendar, refreshed_at=now, attempted_at=now, error=None,
                                    problems=list(problems), shifts=len(shifts)))
            s.commit()
        return changed

    def failed(self, calendar: str, now: datetime, error: str) -> None:
        """A refresh that could not read the calendar: the shifts of the last good one stay."""
        with self.session() as s:
            row = s.get(t.OnCallRefresh, calendar)
            if row is None:
                s.add(t.OnCallRefresh(calendar=calendar, refreshed_at=None, attempted_at=now, error=error,
                                      problems=[], shifts=0))
            else:
                row.attempted_at, row.error = now, error
            s.commit()

    def refresh_of(self, calendar: str) -> OnCallRefreshRecord:
        with self.session() as s:
            row = s.get(t.OnCallRefresh, calendar)
            if row is None:
                return OnCallRefreshRecord(calendar, None, None, None)
            return OnCallRefreshRecord(calendar, row.refreshed_at, row.attempted_at, row.error,
                                       tuple(row.problems or ()), row.shifts)

    def between(self, calendar: str, start: datetime, end: datetime) -> list[OnCall]:
        """The calendar's shifts that meet [start, end), in order of start."""
        s_ = t.OnCallShift
        with self.session() as s:
            rows = s.execute(select(s_.person, s_.phone, s_.start_at, s_.end_at).where(
                s_.calendar == calendar, s_.start_at < end, s_.end_at > start).order_by(s_.start_at, s_.end_at))
            return [OnCall(*row) for row in rows]
