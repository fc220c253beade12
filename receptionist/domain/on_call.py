"""Who is on call: a roster of shifts in the location's wall-clock time (``[[availability.on_call]]``), asked for
an instant. A shift belongs to the day it starts; ``18:00-08:00`` runs past midnight into the next morning. The
first shift in the roster that covers the instant answers (list a one-off cover before the standing rota)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from receptionist.domain.schedule import WEEKDAYS, _minutes

LOOK_AHEAD_DAYS = 8  # how far the next shift is looked for when nobody is on call


@dataclass(frozen=True)
class Shift:
    person: str
    phone: str
    starts: int  # minutes after local midnight
    ends: int  # minutes after local midnight; at or before ``starts``: the next day
    weekdays: frozenset[int] = frozenset(range(7))  # Monday 0 … Sunday 6
    first_day: date | None = None
    last_day: date | None = None  # inclusive: the last day a shift of this entry starts

    def runs_on(self, day: date) -> bool:
        return (day.weekday() in self.weekdays and (self.first_day is None or day >= self.first_day)
                and (self.last_day is None or day <= self.last_day))

    def span(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The shift that starts on local ``day``, in UTC (wall-clock times, so DST days are an hour short or long)."""
        end_day = day + timedelta(days=1) if self.ends <= self.starts else day
        return _at(day, self.starts, zone), _at(end_day, self.ends, zone)


@dataclass(frozen=True)
class OnCall:
    shift: Shift
    start: datetime
    end: datetime


def parse_shift_hours(text: str) -> tuple[int, int]:
    """``"18:00-08:00"`` → ``(1080, 480)``; ``"00:00-24:00"`` is the whole day. ``ValueError`` says what is wrong."""
    try:
        first, second = (part.strip() for part in text.split("-"))
        starts, ends = _minutes(first), _minutes(second)
    except ValueError:
        raise ValueError(f"{text!r} is not a shift: write it as \"18:00-08:00\" (24-hour, local time; it may run "
                         "past midnight)") from None
    if starts == 1440 or starts == ends:
        raise ValueError(f"{text!r} is not a shift: it must start before midnight and last some time")
    return starts, ends


def weekday_numbers(names: list[str]) -> frozenset[int]:
    unknown = [n for n in names if n.lower() not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r}: use {', '.join(WEEKDAYS)}")
    return frozenset(WEEKDAYS.index(n.lower()) for n in names) if names else frozenset(range(7))


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    base = datetime.combine(day, time(), zone) if minutes < 1440 else datetime.combine(day + timedelta(days=1),
                                                                                        time(), zone)
    wall = base + timedelta(minutes=minutes % 1440)  # wall-clock arithmetic in the zone
    return wall.astimezone(timezone.utc)


def on_call_at(roster: tuple[Shift, ...], instant: datetime, zone: ZoneInfo) -> OnCall | None:
    """The first shift covering ``instant`` (one starting that local day, or the day before and running past
    midnight), or None."""
    today = instant.astimezone(zone).date()
    for shift in roster:
        for day in (today, today - timedelta(days=1)):
            if shift.runs_on(day):
                start, end = shift.span(day, zone)
                if start <= instant < end:
                    return OnCall(shift, start, end)
    return None


def next_on_call(roster: tuple[Shift, ...], instant: datetime, zone: ZoneInfo) -> OnCall | None:
    """The shift that starts soonest after ``instant`` within ``LOOK_AHEAD_DAYS``, or None."""
    today = instant.astimezone(zone).date()
    found: list[OnCall] = []
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        found += [OnCall(s, *s.span(day, zone)) for s in roster if s.runs_on(day)]
    later = [c for c in found if c.start > instant]
    return min(later, key=lambda c: c.start) if later else None
