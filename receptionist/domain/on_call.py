"""Who is on call, asked for an instant, from one of two sources:

- the profile's roster of shifts in the location's wall-clock time (``[[availability.on_call]]``): a shift belongs
  to the day it starts; ``18:00-08:00`` runs past midnight into the next morning; the first shift in the roster
  that covers the instant answers (list a one-off cover before the standing rota);
- the shared on-call calendar (``availability.on_call_calendar``): each event is a shift naming its person
  (``shift_of_event``); of the shifts covering an instant the one that started last answers (a cover put over a
  standing shift), the shorter on a tie (``covering``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import phonenumbers

from receptionist.domain.ports import RemoteEvent
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
    """One shift as it runs: who, the phone to transfer to, and its UTC instants."""

    person: str
    phone: str
    start: datetime
    end: datetime


def _running(shift: Shift, day: date, zone: ZoneInfo) -> OnCall:
    return OnCall(shift.person, shift.phone, *shift.span(day, zone))


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
                running = _running(shift, day, zone)
                if running.start <= instant < running.end:
                    return running
    return None


def next_on_call(roster: tuple[Shift, ...], instant: datetime, zone: ZoneInfo) -> OnCall | None:
    """The shift that starts soonest after ``instant`` within ``LOOK_AHEAD_DAYS``, or None."""
    today = instant.astimezone(zone).date()
    found: list[OnCall] = []
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        found += [_running(s, day, zone) for s in roster if s.runs_on(day)]
    later = [c for c in found if c.start > instant]
    return min(later, key=lambda c: c.start) if later else None


# --- the shared on-call calendar ------------------------------------------------------------------------------------

_ON_CALL_PREFIX = re.compile(r"^\s*on[\s-]*call\b\s*[:\-\u2013\u2014]?\s*", re.IGNORECASE)


def calendar_key_parts(key: str) -> tuple[str, str]:
    """``"google:oncall@group.calendar.google.com"`` → ``("google", "oncall@…")``; ``ValueError`` says what is
    wrong."""
    kind, _, calendar_id = key.partition(":")
    if kind not in ("google", "outlook", "caldav") or not calendar_id.strip():
        raise ValueError(f"{key!r} is not an on-call calendar: write 'google:<calendar id>', 'outlook:<calendar id>' "
                         "or 'caldav:<collection URL>'")
    return kind, calendar_id.strip()


def person_of_title(title: str) -> str:
    """The person an on-call event names: its title without an "On call:" in front (``"On call: Dr. Bo Chen"``,
    ``"On-call - Dr. Bo Chen"`` and ``"Dr. Bo Chen"`` all name Dr. Bo Chen)."""
    return " ".join(_ON_CALL_PREFIX.sub("", title or "", count=1).split())


def phone_in(text: str, country: str = "US") -> str:
    """The first phone number written in ``text`` (an event's description), as E.164; "" when there is none."""
    for match in phonenumbers.PhoneNumberMatcher(text or "", country):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return ""


def _day_of(instant: datetime, zone: ZoneInfo) -> date:
    """An all-day event's date: providers give midnight in the event's zone, or UTC midnight."""
    utc = instant.astimezone(timezone.utc)
    return utc.date() if utc.time() == time(0) else instant.astimezone(zone).date()


def shift_of_event(event: RemoteEvent, phone_of: Callable[[str], str], zone: ZoneInfo,
                   country: str = "US") -> tuple[OnCall | None, str | None]:
    """The shift an event of the on-call calendar stands for, and what is wrong with it (a sentence) or None.

    The title names the person; the phone is the first number in the description, else ``phone_of(person)``
    (the people list, the profile's rota). An all-day event covers its local days midnight to midnight (23 or 25
    hours on a DST day); a timed one its own instants, past midnight or not. An event naming nobody is no shift;
    one whose person has no phone is a shift (the agent can still name who is on call) with a problem."""
    start, end = event.start, event.end
    if event.all_day:
        first = _day_of(start, zone)
        last = max(_day_of(end, zone), first + timedelta(days=1))  # exclusive
        start, end = _at(first, 0, zone), _at(last, 0, zone)
    local_start = start.astimezone(zone)
    when = f"{local_start.month}/{local_start.day}"
    person = person_of_title(event.title)
    if not person:
        return None, (f"the on-call event of {when} ({event.title.strip() or 'untitled'!r}) names nobody: title it "
                      "with the person, e.g. 'On call: Dr. Bo Chen'")
    if end <= start:
        return None, f"the on-call event of {when} for {person} ends before it starts"
    phone = phone_in(event.description, country) or phone_of(person)
    shift = OnCall(person, phone, start.astimezone(timezone.utc), end.astimezone(timezone.utc))
    if not phone:
        return shift, (f"{person} (on call {when}) has no phone: write it in the event's description, or give "
                       f"{person} a phone in [people]")
    return shift, None


def covering(shifts: Iterable[OnCall], instant: datetime) -> OnCall | None:
    """The calendar shift covering ``instant``: of several, the one that started last (a cover put over a standing
    shift), the shorter on a tie; None when nobody is on call."""
    found = [s for s in shifts if s.start <= instant < s.end]
    return max(found, key=lambda s: (s.start, s.start - s.end)) if found else None


def next_shift(shifts: Iterable[OnCall], instant: datetime) -> OnCall | None:
    """The calendar shift that starts soonest after ``instant``, or None."""
    later = [s for s in shifts if s.start > instant]
    return min(later, key=lambda s: (s.start, s.end - s.start)) if later else None


def roster_shifts(roster: tuple[Shift, ...], start: datetime, end: datetime, zone: ZoneInfo) -> list[OnCall]:
    """The profile roster's shifts that meet [start, end), in order (the calendar views draw them)."""
    first = start.astimezone(zone).date() - timedelta(days=1)
    days = (end.astimezone(zone).date() - first).days + 1
    found = [_running(s, first + timedelta(days=n), zone) for n in range(days) for s in roster
             if s.runs_on(first + timedelta(days=n))]
    return sorted((c for c in found if c.start < end and start < c.end), key=lambda c: (c.start, c.end))
