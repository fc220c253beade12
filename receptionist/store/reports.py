"""Reports counted in SQL: the conversion funnel (``domain/conversion.py``) grouped by the location's day, the
call's reason (intent) and platform, in one query whatever the number of calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, select

from receptionist.domain.conversion import Funnel, FunnelRow
from receptionist.domain.models import AppointmentStatus, ProposalStatus
from receptionist.store import tables as t
from receptionist.store.base import Room

#: a day of the report: (the location's date, its first instant in UTC, the next day's)
Day = tuple[date, datetime, datetime]


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


class Reports(Room):
    def conversion(self, days: Sequence[Day], now: datetime) -> list[FunnelRow]:
        """The funnel of the calls received on ``days`` (consecutive, oldest first), grouped by day, reason and
        platform. A day is a range of instants worked out by the caller in the location's zone (DST days are 23 or
        25 hours long), so the grouping is one CASE over ``received_at``, the same on SQLite and PostgreSQL."""
        if not days:
            return []
        C, P, A = t.Call, t.BookingProposal, t.Appointment
        day_no = case(*((and_(C.received_at >= lo, C.received_at < hi), literal(i)) for i, (_d, lo, hi)
                        in enumerate(days)), else_=literal(-1)).label("day_no")
        booking = C.intent == "book"
        timed = and_(booking, P.start_at.is_not(None))
        approved = and_(timed, P.status == ProposalStatus.APPROVED.value, A.id.is_not(None))
        cancelled = and_(approved, A.status == AppointmentStatus.CANCELLED.value)
        live = and_(approved, A.status != AppointmentStatus.CANCELLED.value)
        q = (select(day_no, C.intent, C.platform, func.count(C.id), _count(timed), _count(approved),
                    _count(and_(live, A.start_at <= now)), _count(~booking), _count(and_(booking, ~timed)),
                    _count(and_(timed, P.status == ProposalStatus.REJECTED.value)),
                    _count(and_(timed, P.status == ProposalStatus.PENDING.value)), _count(cancelled),
                    _count(and_(live, A.start_at > now)))
             .select_from(C).outerjoin(P, P.call_row_id == C.id).outerjoin(A, A.id == P.appointment_id)
             .where(C.received_at >= days[0][1], C.received_at < days[-1][2])
             .group_by(day_no, C.intent, C.platform))
        with self.session() as s:
            return [FunnelRow(days[r[0]][0], r[1] or "book", r[2], Funnel(*(int(v or 0) for v in r[3:])))
                    for r in s.execute(q) if r[0] >= 0]

    def calls_behind(self, start: datetime, end: datetime, stage: str, now: datetime, *, reason: str | None = None,
                     platform: str | None = None, limit: int = 500) -> list[int]:
        """The ids of the calls received in [start, end) behind one number of the funnel (a stage or a drop-off),
        newest first: what a click on a bar opens."""
        C, P, A = t.Call, t.BookingProposal, t.Appointment
        booking = C.intent == "book"
        timed = and_(booking, P.start_at.is_not(None))
        approved = and_(timed, P.status == ProposalStatus.APPROVED.value, A.id.is_not(None))
        live = and_(approved, A.status != AppointmentStatus.CANCELLED.value)
        conditions = {
            "calls": literal(True), "proposals": timed, "confirmed": approved, "kept": and_(live, A.start_at <= now),
            "not_a_booking": ~booking, "no_time": and_(booking, ~timed),
            "rejected": and_(timed, P.status == ProposalStatus.REJECTED.value),
            "pending": and_(timed, P.status == ProposalStatus.PENDING.value),
            "cancelled": and_(approved, A.status == AppointmentStatus.CANCELLED.value),
            "upcoming": and_(live, A.start_at > now),
        }
        q = (select(C.id).select_from(C).outerjoin(P, P.call_row_id == C.id).outerjoin(A, A.id == P.appointment_id)
             .where(C.received_at >= start, C.received_at < end, conditions[stage]))
        if reason:
            q = q.where(C.intent == reason)
        if platform:
            q = q.where(C.platform == platform)
        with self.session() as s:
            return list(s.scalars(q.order_by(C.received_at.desc(), C.id.desc()).limit(limit)))
