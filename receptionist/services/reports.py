"""Reports for owners: does the AI agent turn calls into kept appointments, and where do the others go?"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from receptionist.domain.conversion import DROP_OFFS, STAGES, ConversionReport, clock_changes, summarise
from receptionist.errors import UserError
from receptionist.services.context import DeskContext
from receptionist.services.people import is_owner

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


class Reports:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def _days(self, start: date, end: date):
        zone = self.ctx.rules.zone
        if end < start:
            raise UserError(f"the report ends ({end:%m/%d/%Y}) before it starts ({start:%m/%d/%Y})")
        if (end - start).days >= MAX_DAYS:
            raise UserError(f"a report covers at most {MAX_DAYS} days")
        out = []
        for n in range(start.toordinal(), end.toordinal() + 1):
            day = date.fromordinal(n)
            lo = datetime.combine(day, time(0), zone).astimezone(timezone.utc)
            hi = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
            out.append((day, lo, hi))
        return out

    def default_range(self) -> tuple[date, date]:
        """The last 30 days, today included (the location's days)."""
        today = self.ctx.clock().astimezone(self.ctx.rules.zone).date()
        return today - timedelta(days=DEFAULT_DAYS - 1), today

    def conversion(self, start: date | None = None, end: date | None = None, *,
                   actor: str | None = None) -> ConversionReport:
        """Calls → proposals → confirmed → kept over [start, end] (the location's days; default the last 30),
        counted in one SQL query, with each drop-off named, per day, reason and platform. Owners only."""
        if not is_owner(self.ctx, actor):
            raise UserError("the conversion report is for owners: ask an owner of the desk")
        first, last = self.default_range()
        start, end = start or (first if end is None else end - timedelta(days=DEFAULT_DAYS - 1)), end or last
        days = self._days(start, end)
        changes = clock_changes(days[0][1], days[-1][2], self.ctx.rules.zone)
        return summarise(start, end, self.ctx.store.reports.conversion(days, self.ctx.clock(), changes))

    def calls_behind(self, start: date, end: date, stage: str, *, reason: str | None = None,
                     platform: str | None = None) -> list[int]:
        """The calls behind one number of the report (a bar of the chart): their ids, newest first."""
        if stage not in STAGES + DROP_OFFS:
            raise UserError(f"{stage!r} is not a stage or a drop-off of the funnel")
        days = self._days(start, end)
        return self.ctx.store.reports.calls_behind(days[0][1], days[-1][2], stage, self.ctx.clock(), reason=reason,
                                                   platform=platform)
