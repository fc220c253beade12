"""Reports counted in SQL: the conversion funnel (``domain/conversion.py``) grouped by the location's day, the
call's reason (intent) and platform, in one query whatever the number of calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Integer, and_, case, cast, func, literal, literal_column, select, text
from sqlalchemy.orm import Session

from receptionist.domain.conversion import DROP_OFFS, STAGES, FunnelRow
from receptionist.store import tables as t
from receptionist.store.base import Room

#: a day of the report: (the location's date, its first instant in UTC, the next day's)
Day = tuple[date, datetime, datetime]


def _count(condition):
    """Rows of the group meeting ``condition`` (an aggregate FILTER: SQLite 3.30+, PostgreSQL), never NULL."""
    return func.count().filter(condition)


def _hours_since(dialect: str, column, t0: datetime):
    """Hours from ``t0`` to ``column`` (a float), in the database."""
    if dialect == "sqlite":
        return (func.julianday(column) - func.julianday(literal(t0, t.UTCDateTime()))) * 24.0
    return func.extract("epoch", column - literal(t0, t.UTCDateTime())) / 3600.0


def _floor(dialect: str, value):
    # SQLite's CAST truncates toward zero (the values are never negative here); PostgreSQL's rounds
    return cast(value, Integer) if dialect == "sqlite" else cast(func.floor(value), Integer)


def _shift(changes: Sequence[tuple[datetime, float]], column):
    """Hours the location's wall clock moved since the first day's midnight, at the instant in ``column``: 0
    before the first change, then each change's (a CASE over the few DST changes in the range)."""
    if not changes:
        return literal(0.0)
    befores = [0.0] + [hours for _at, hours in changes[:-1]]
    return case(*((column < at, literal(before)) for (at, _h), before in zip(changes, befores)),
                else_=literal(changes[-1][1]))


def _stages(now: datetime) -> dict:
    """Each stage and drop-off of the funnel (``domain/conversion.py``) as a condition on a call's leaf
    (``store/funnel.py``, the one definition of where a call ended): what the counts and the calls behind a bar
    share."""
    leaf, at = t.Call.funnel, t.Call.funnel_at
    confirmed = ("cancelled", "no_show", "kept", "unmarked")
    return {
        "calls": literal(True), "proposals": leaf.in_(("rejected", "pending", "proposed") + confirmed),
        "confirmed": leaf.in_(confirmed), "kept": leaf == "kept",
        **{name: leaf == name for name in ("not_a_booking", "no_time", "rejected", "pending", "cancelled", "no_show")},
        "not_marked": and_(leaf == "unmarked", at <= now), "upcoming": and_(leaf == "unmarked", at > now),
    }


def _ensure_statistics(s: Session) -> None:
    """SQLite's planner takes the report's covering index (``ix_calls_funnel``) over the plain index on
    ``received_at`` only when it has statistics on ``calls``; without them it reads the wide rows (several times
    slower on a year of calls). ANALYZE of an empty table records nothing, so a database filled after its
    migrations has none: the first report gathers them, once. Nothing on PostgreSQL, which analyzes by itself."""
    if s.get_bind().dialect.name != "sqlite":
        return
    known = s.execute(text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'calls'")).first() \
        if s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() else None
    if known is None:
        s.execute(text("ANALYZE calls"))
        s.commit()


class Reports(Room):
    def conversion(self, days: Sequence[Day], now: datetime,
                   clock_changes: Sequence[tuple[datetime, float]] = ()) -> list[FunnelRow]:
        """The funnel of the calls received on ``days`` (consecutive, oldest first), grouped by day, reason and
        platform, in one query over the calls alone (each call's leaf, ``store/funnel.py``) through their covering
        index. A call's day is counted in SQL from its hours since the first day's midnight, set
        right by the zone's offset changes (``clock_changes``, ``domain.conversion.clock_changes``), so the
        grouping is arithmetic on an indexed range, whatever the number of days or calls. The groups are by the day's
        label: the database works out each call's day once (an expression written twice, with its own bound
        values, is worked out twice). Rows come as plain rows (``connection``), with no ORM loading."""
        if not days:
            return []
        C = t.Call
        t0 = days[0][1]
        with self.session() as s:
            _ensure_statistics(s)
            hours = _hours_since(s.get_bind().dialect.name, C.received_at, t0)
            day_no = _floor(s.get_bind().dialect.name, (hours + _shift(clock_changes, C.received_at)) / 24).label("day_no")
            stage = _stages(now)
            q = (select(day_no, C.intent, C.platform, func.count(),
                        *(_count(stage[name]) for name in STAGES[1:] + DROP_OFFS))
                 .where(C.received_at >= t0, C.received_at < days[-1][2])
                 .group_by(literal_column(day_no.name), C.intent, C.platform))
            return [FunnelRow(days[r[0]][0], r[1] or "book", r[2], tuple(r[3:]))
                    for r in s.connection().execute(q) if 0 <= r[0] < len(days)]

    def calls_behind(self, start: datetime, end: datetime, stage: str, now: datetime, *, reason: str | None = None,
                     platform: str | None = None, limit: int = 500) -> list[int]:
        """The ids of the calls received in [start, end) behind one number of the funnel (a stage or a drop-off),
        newest first: what a click on a bar opens."""
        C = t.Call
        q = (select(C.id).where(C.received_at >= start, C.received_at < end, _stages(now)[stage]))
        if reason:
            q = q.where(C.intent == reason)
        if platform:
            q = q.where(C.platform == platform)
        with self.session() as s:
            return list(s.scalars(q.order_by(C.received_at.desc(), C.id.desc()).limit(limit)))
