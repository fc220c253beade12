"""The conversion funnel, pure: calls → proposals → confirmed appointments → kept, and where the others went.

A *proposal* is a booking call (intent "book") whose requested time the AI captured; *confirmed*, a proposal a
person approved (an appointment was made); *kept*, a confirmed appointment a person at the desk marked attended.
Every call that does not reach the next stage is counted under one named drop-off:

- ``not_a_booking``: the caller wanted something else (a question, a callback, a cancel, a reschedule, urgent);
- ``no_time``: a booking call the AI captured no time for;
- ``rejected`` / ``pending``: a proposal a person rejected (or passed to the callback desk), or has not decided
  yet;
- ``cancelled``: a confirmed appointment later cancelled;
- ``no_show``: marked a no-show;
- ``not_marked``: its time has come and nobody marked it attended or no-show (never counted as kept);
- ``upcoming``: still to come.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import NamedTuple
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

STAGES = ("calls", "proposals", "confirmed", "kept")
DROP_OFFS = ("not_a_booking", "no_time", "rejected", "pending", "cancelled", "no_show", "not_marked", "upcoming")
DROP_LABELS = {"not_a_booking": "Not a booking", "no_time": "No time captured", "rejected": "Rejected",
               "pending": "Not decided yet", "cancelled": "Cancelled", "no_show": "No-show",
               "not_marked": "Not marked", "upcoming": "Still to come"}


@dataclass(frozen=True)
class Funnel:
    calls: int = 0
    proposals: int = 0
    confirmed: int = 0
    kept: int = 0
    not_a_booking: int = 0
    no_time: int = 0
    rejected: int = 0
    pending: int = 0
    cancelled: int = 0
    no_show: int = 0
    not_marked: int = 0
    upcoming: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def kept_rate(self) -> float:
        return self.kept / self.calls if self.calls else 0.0


class FunnelRow(NamedTuple):
    """One group the store counted: a day (the location's), a reason (the call's intent) and a platform, with its
    counts in ``Funnel``'s field order (a plain tuple: a year's report has some 8,000 groups)."""

    day: date
    reason: str
    platform: str
    counts: tuple[int, ...]

    @property
    def funnel(self) -> Funnel:
        return Funnel(*self.counts)


@dataclass(frozen=True)
class ConversionReport:
    start: date
    end: date  # included
    total: Funnel
    by_day: dict[date, Funnel]
    by_reason: dict[str, Funnel]
    by_platform: dict[str, Funnel]


def summarise(start: date, end: date, rows: Iterable[FunnelRow]) -> ConversionReport:
    """The totals and the three breakdowns of the store's grouped counts (every day of the range listed).

    A year's report has some 8,000 groups: each breakdown gathers its groups' counts and sums them column by column
    (``zip``), every field of the funnel, rather than adding funnels one by one."""
    every: list[tuple[int, ...]] = []
    by_day: dict[date, list] = {date.fromordinal(d): [] for d in range(start.toordinal(), end.toordinal() + 1)}
    by_reason: dict[str, list] = defaultdict(list)
    by_platform: dict[str, list] = defaultdict(list)
    for r in rows:
        counts = r.counts
        every.append(counts)
        by_day.setdefault(r.day, []).append(counts)
        by_reason[r.reason].append(counts)
        by_platform[r.platform].append(counts)

    def summed(groups: list[tuple[int, ...]]) -> Funnel:
        return Funnel(*map(sum, zip(*groups))) if groups else Funnel()

    return ConversionReport(start, end, summed(every), {day: summed(g) for day, g in by_day.items()},
                            {k: summed(g) for k, g in sorted(by_reason.items())},
                            {k: summed(g) for k, g in sorted(by_platform.items())})


def clock_changes(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, float]]:
    """Each change of the zone's UTC offset in [start, end): (the instant, hours the wall clock has moved since
    ``start`` from then on). Found day by day, then to the second."""
    base = start.astimezone(zone).utcoffset()
    out: list[tuple[datetime, float]] = []
    current = base
    day = start
    while day < end:
        nxt = min(day + timedelta(days=1), end)
        offset = nxt.astimezone(zone).utcoffset()
        if offset != current:
            lo, hi = 0, int((nxt - day).total_seconds())  # seconds after ``day``: still ``current`` at lo, not at hi
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if (day + timedelta(seconds=mid)).astimezone(zone).utcoffset() == current:
                    lo = mid
                else:
                    hi = mid
            out.append((day + timedelta(seconds=hi), (offset - base).total_seconds() / 3600))
            current = offset
        day = nxt
    return out
