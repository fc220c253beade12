"""When a booking may start: the location's booking rules, and the one function that decides both what is offered
(``Schedule.free_slots``) and what is accepted (``Schedule.check``).

Rules (from the profile's ``[availability]``): weekly hours with several ranges a day, closures and holidays, a
slot grid, minimum notice, a booking horizon, buffers before and after, caps per day and per week, and per service
its length, buffers, caps and resources (a chair, a room, a person), each resource with its own hours and, if it
has one, its own calendar (that calendar's busy time counts against that resource only).

``Schedule.refusals`` is the rule: every reason a slot is refused, in a fixed order. ``free_slots`` walks the grid
of each open range and keeps the starts it refuses for nothing, so an offered slot is always accepted and an
accepted slot is always on offer (``tests/domain/test_schedule.py`` checks both ways with hypothesis).

Times: instants are UTC-aware; a day's opening ranges are local wall-clock times turned into instants for that
date, so a range that spans a DST change is an hour shorter or longer, and the grid steps in real minutes from the
range's opening.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from receptionist.domain.formatting import format_range, local
from receptionist.domain.models import BusyBlock

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
APPOINTMENT, HOLD = "appointment", "hold"  # BusyBlock sources that count towards the caps

# Why a slot is refused, in the order ``refusals`` reports them.
PAST, TOO_SOON, TOO_FAR, HOLIDAY, CLOSED, OUTSIDE_HOURS, OFF_GRID, OVERLAP, BUFFER, DAY_FULL, WEEK_FULL = (
    "past", "too_soon", "too_far", "holiday", "closed", "outside_hours", "off_grid", "overlap", "buffer",
    "day_full", "week_full")


Range = tuple[int, int]  # minutes after local midnight: [open, close), close up to 1440


def parse_range(text: str) -> Range:
    """``"08:00-12:30"`` → ``(480, 750)``; ``24:00`` closes at midnight. ``ValueError`` says what is wrong."""
    try:
        first, second = (part.strip() for part in text.split("-"))
        opens, closes = _minutes(first), _minutes(second)
    except ValueError:
        raise ValueError(f"{text!r} is not a time range: write it as \"08:00-12:00\" (24-hour, local time)") from None
    if closes <= opens:
        raise ValueError(f"{text!r} closes before it opens")
    return opens, closes


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not (len(minutes) == 2 and 0 <= int(minutes) < 60 and 0 <= value <= 1440):
        raise ValueError(text)
    return value


def _clock(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    if h in (0, 24) and m == 0:
        return "midnight"
    if h == 12 and m == 0:
        return "noon"
    suffix = "AM" if h < 12 else "PM"
    h = (h - 1) % 12 + 1
    return f"{h} {suffix}" if m == 0 else f"{h}:{m:02d} {suffix}"


@dataclass(frozen=True)
class WeeklyHours:
    """Opening ranges per weekday (Monday first), each sorted and not overlapping."""

    days: tuple[tuple[Range, ...], ...]

    @classmethod
    def simple(cls, open_hour: int, close_hour: int, weekdays: Iterable[int] = range(6)) -> "WeeklyHours":
        """One range a day on ``weekdays`` (the profile's ``location.open_hour`` / ``close_hour``, Mon–Sat)."""
        open_days = set(weekdays)
        return cls(tuple(((open_hour * 60, close_hour * 60),) if d in open_days else () for d in range(7)))

    @classmethod
    def of(cls, table: Mapping[str, Sequence[str]], fallback: "WeeklyHours | None" = None) -> "WeeklyHours":
        """From ``{"mon": ["08:00-12:00", "13:00-17:00"], ...}``; a day not named keeps ``fallback``'s hours
        (closed without one). Overlapping ranges are an error."""
        days = []
        for index, name in enumerate(WEEKDAYS):
            if name not in table:
                days.append(fallback.days[index] if fallback else ())
                continue
            ranges = sorted(parse_range(text) for text in table[name])
            for (_, close), (opens, _) in zip(ranges, ranges[1:]):
                if opens < close:
                    raise ValueError(f"{name}: the ranges {', '.join(table[name])} overlap")
            days.append(tuple(ranges))
        return cls(tuple(days))

    def said(self, weekday: int) -> str:
        return ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in self.days[weekday])


@dataclass(frozen=True)
class Closure:
    """Closed from ``first`` to ``last`` (local dates, both included)."""

    first: date
    last: date
    name: str = "a holiday"


@dataclass(frozen=True)
class ServiceRule:
    name: str
    duration_minutes: int
    buffer_before: int = 0
    buffer_after: int = 0
    max_per_day: int = 0  # 0: no cap of its own
    max_per_week: int = 0
    resources: tuple[str, ...] = ()  # any one of them takes the booking; none: the location as a whole


@dataclass(frozen=True)
class ResourceRule:
    name: str
    kind: str = "staff"  # staff, chair, room, equipment
    hours: WeeklyHours | None = None  # None: the location's hours
    calendar: str | None = None  # a calendar key ("google:dr-lee@…"): its busy time is this resource's only


@dataclass(frozen=True)
class BookingRules:
    """Everything ``refusals`` needs to know of the location, pure."""

    zone: ZoneInfo
    hours: WeeklyHours = field(default_factory=lambda: WeeklyHours.simple(8, 18))
    closures: tuple[Closure, ...] = ()
    step_minutes: int = 15
    min_notice_minutes: int = 0
    horizon_days: int = 0  # 0: no limit
    buffer_before: int = 0
    buffer_after: int = 0
    max_per_day: int = 0  # 0: no cap, all services together
    max_per_week: int = 0
    default_duration_minutes: int = 30
    services: tuple[ServiceRule, ...] = ()
    resources: tuple[ResourceRule, ...] = ()

    def service(self, name: str | None, minutes: int | None = None) -> ServiceRule:
        """The named service's rule (case and spacing ignored); an unknown or missing name gets the location's
        defaults. ``minutes`` overrides the length (a person's edit)."""
        key = _key(name)
        rule = next((s for s in self.services if _key(s.name) == key), None) if key else None
        if rule is None:
            rule = ServiceRule(name or "", self.default_duration_minutes, self.buffer_before, self.buffer_after)
        return rule if minutes is None else ServiceRule(rule.name, minutes, rule.buffer_before, rule.buffer_after,
                                                        rule.max_per_day, rule.max_per_week, rule.resources)

    def resource(self, name: str) -> ResourceRule:
        key = _key(name)
        for r in self.resources:
            if _key(r.name) == key:
                return r
        raise KeyError(name)

    def closure_on(self, day: date) -> Closure | None:
        return next((c for c in self.closures if c.first <= day <= c.last), None)


def _key(name: str | None) -> str:
    return " ".join((name or "").lower().split())


@dataclass(frozen=True)
class Refusal:
    """One reason a slot is refused: ``code`` (one of the constants above) and ``message``, a sentence a person or
    the agent can say (made when it is read: the search refuses thousands of starts and says none of them);
    ``block`` is the busy block an overlap or buffer names."""

    code: str
    said: str | Callable[[], str] = field(compare=False, repr=False)
    block: BusyBlock | None = None

    @property
    def message(self) -> str:
        return self.said if isinstance(self.said, str) else self.said()


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    resource: str | None = None


class _BusyIndex:
    """Busy blocks sorted by start with a running maximum of their ends: the blocks overlapping an interval are
    found by bisection, not by a scan."""

    def __init__(self, blocks: Iterable[BusyBlock]):
        self.blocks = sorted(blocks, key=lambda b: b.start)
        self.starts = [b.start for b in self.blocks]
        self.max_end: list[datetime] = []
        latest = None
        for b in self.blocks:
            latest = b.end if latest is None or b.end > latest else latest
            self.max_end.append(latest)

    def overlapping(self, start: datetime, end: datetime) -> list[BusyBlock]:
        i = bisect.bisect_left(self.starts, end) - 1
        found = []
        while i >= 0 and self.max_end[i] > start:
            if self.blocks[i].end > start:
                found.append(self.blocks[i])
            i -= 1
        found.reverse()
        return found


class Schedule:
    """The booking rules over one read of busy time, at one moment.

    ``busy`` holds our appointments (source ``appointment``, with their service), slots held for other callers
    (``hold``) and the calendars' busy events (source: the calendar's key); ``labels`` names each calendar as a
    person knows it."""

    def __init__(self, rules: BookingRules, busy: Iterable[BusyBlock], now: datetime,
                 labels: Mapping[str, str] | None = None):
        self.rules = rules
        self.zone = rules.zone
        self.now = now
        self.labels = {APPOINTMENT: "our booking", HOLD: "offered on the phone", **(labels or {})}
        blocks = list(busy)
        own = {r.calendar: r.name for r in rules.resources if r.calendar}
        names = {_key(r.name) for r in rules.resources}
        # a booking or hold on a resource is busy for that resource and the location as a whole, not the others
        taken = [b for b in blocks if b.resource is not None and _key(b.resource) in names] if names else []
        shared = [b for b in blocks if b.source not in own and (b.resource is None or _key(b.resource) not in names)] \
            if names else blocks
        self._busy: dict[str | None, _BusyIndex] = {None: _BusyIndex(shared + taken)}
        for r in rules.resources:
            key = _key(r.name)
            self._busy[key] = _BusyIndex(shared + [b for b in blocks if r.calendar and b.source == r.calendar]
                                         + [b for b in taken if _key(b.resource) == key])
        self._day_counts: dict[date, Counter] = {}
        self._week_counts: dict[date, Counter] = {}
        for b in blocks:
            if b.source in (APPOINTMENT, HOLD):
                day = local(b.start, self.zone).date()
                week = day - timedelta(days=day.weekday())
                for counts, key in ((self._day_counts, day), (self._week_counts, week)):
                    tally = counts.setdefault(key, Counter())
                    tally[""] += 1
                    tally[_key(b.service)] += 1
        self._ranges: dict[tuple[date, str | None], list[tuple[datetime, datetime]]] = {}
        self._service_lengths: dict[ServiceRule, tuple[timedelta, timedelta, timedelta]] = {}
        self._notice = timedelta(minutes=rules.min_notice_minutes)
        self._horizon = timedelta(days=rules.horizon_days) if rules.horizon_days else None
        self._step = timedelta(minutes=rules.step_minutes)

    # --- the rule ---------------------------------------------------------------------------------------------------

    def refusals(self, start: datetime, service: ServiceRule, resource: ResourceRule | None = None, *,
                 first_only: bool = False) -> list[Refusal]:
        """Every reason ``service`` may not start at ``start`` (on ``resource``, or the location when None);
        none: it may. ``first_only`` stops at the first reason (the search needs no more)."""
        found: list[Refusal] = []
        rules = self.rules
        length, before, after = self._lengths(service)
        end = start + length
        if start < self.now:
            found.append(Refusal(PAST, "the requested time is in the past"))
        elif start < self.now + self._notice:
            found.append(Refusal(TOO_SOON, f"too soon: bookings need {_span(rules.min_notice_minutes)} notice"))
        if self._horizon is not None and start > self.now + self._horizon:
            found.append(Refusal(TOO_FAR, f"too far ahead: bookings are taken up to {rules.horizon_days} days ahead"))
        if found and first_only:
            return found
        day = start.astimezone(self.zone).date()
        closure = rules.closure_on(day) if rules.closures else None
        hours = resource.hours if resource is not None and resource.hours is not None else rules.hours
        if closure is not None:
            found.append(Refusal(HOLIDAY, f"closed for {closure.name} ({day.month}/{day.day})"))
        elif not hours.days[day.weekday()]:
            who = f"{resource.name} is" if resource is not None and resource.hours is not None else "we are"
            found.append(Refusal(CLOSED, f"{who} closed on {DAY_NAMES[day.weekday()]}"))
        else:
            for opens, closes in self._day_ranges(day, resource):
                if opens <= start and end <= closes:
                    if (start - opens) % self._step:
                        found.append(Refusal(OFF_GRID, f"not a bookable start: times start every "
                                                       f"{rules.step_minutes} minutes from opening"))
                    break
            else:
                found.append(Refusal(OUTSIDE_HOURS, lambda: f"outside opening hours ({hours.said(day.weekday())})"))
        if found and first_only:
            return found
        busy = self._busy[_key(resource.name) if resource is not None else None]
        near = busy.overlapping(start - before, end + after)
        clashes = [b for b in near if b.start < end and start < b.end]
        for block in clashes:
            found.append(Refusal(OVERLAP, lambda block=block: f"overlaps {self._named(block)}", block))
            if first_only:
                return found
        for block in near:
            if block in clashes:
                continue
            side = f"the {service.buffer_before}-minute buffer before" if block.end <= start else \
                f"the {service.buffer_after}-minute buffer after"
            found.append(Refusal(BUFFER, lambda block=block, side=side:
                                 f"within {side} this booking: too close to {self._named(block)}", block))
            if first_only:
                return found
        if self._day_counts:
            week = day - timedelta(days=day.weekday())
            for tally, cap_total, cap_own, period in (
                    (self._day_counts.get(day), rules.max_per_day, service.max_per_day, "that day"),
                    (self._week_counts.get(week), rules.max_per_week, service.max_per_week, "that week")):
                if tally is None:
                    continue
                code = DAY_FULL if period == "that day" else WEEK_FULL
                if cap_total and tally[""] >= cap_total:
                    found.append(Refusal(code, f"fully booked {period} ({cap_total} bookings at most)"))
                elif cap_own and tally[_key(service.name)] >= cap_own:
                    found.append(Refusal(code, f"fully booked {period} for {service.name} ({cap_own} at most)"))
                else:
                    continue
                if first_only:
                    return found
        return found

    def _lengths(self, service: ServiceRule) -> tuple[timedelta, timedelta, timedelta]:
        lengths = self._service_lengths.get(service)
        if lengths is None:
            lengths = (timedelta(minutes=service.duration_minutes), timedelta(minutes=service.buffer_before),
                       timedelta(minutes=service.buffer_after))
            self._service_lengths[service] = lengths
        return lengths

    def _named(self, block: BusyBlock) -> str:
        return (f"{block.title or 'a busy block'} ({self.labels.get(block.source, block.source)}, "
                f"{format_range(block.start, block.end, self.zone)})")

    def _day_ranges(self, day: date, resource: ResourceRule | None) -> list[tuple[datetime, datetime]]:
        """The day's opening ranges as UTC instants (cached: the search asks once per candidate)."""
        key = (day, _key(resource.name) if resource is not None else None)
        ranges = self._ranges.get(key)
        if ranges is None:
            hours = resource.hours if resource is not None and resource.hours is not None else self.rules.hours
            ranges = [(self._instant(day, o), self._instant(day, c)) for o, c in hours.days[day.weekday()]]
            self._ranges[key] = ranges
        return ranges

    def _instant(self, day: date, minutes: int) -> datetime:
        if minutes == 1440:
            day, minutes = day + timedelta(days=1), 0
        return datetime.combine(day, time(minutes // 60, minutes % 60), self.zone).astimezone(timezone.utc)

    def _candidates(self, service: ServiceRule) -> list[ResourceRule | None]:
        if not service.resources:
            return [None]
        return [self.rules.resource(name) for name in service.resources]

    # --- what is offered, what is accepted ------------------------------------------------------------------------

    def check(self, start: datetime, service: ServiceRule, resource: str | None = None) -> tuple[Slot | None,
                                                                                                   list[Refusal]]:
        """The slot ``service`` would get at ``start`` (on ``resource``, or the first of the service's resources
        free then), or None with every reason — of the resource refusing for the fewest reasons when none is
        free."""
        options = [self.rules.resource(resource)] if resource else self._candidates(service)
        best: list[Refusal] | None = None
        for option in options:
            reasons = self.refusals(start, service, option)
            if not reasons:
                return Slot(start, start + timedelta(minutes=service.duration_minutes),
                            option.name if option is not None else None), []
            if best is None or len(reasons) < len(best):
                best = reasons
        return None, best or []

    def free_slots(self, service: ServiceRule, window_start: datetime, window_end: datetime,
                   resource: str | None = None) -> list[Slot]:
        """Every start in [window_start, window_end) that ``check`` accepts, earliest first, each on the first
        resource (in the service's order) free then, as ``check`` picks it."""
        options = [self.rules.resource(resource)] if resource else self._candidates(service)
        length = timedelta(minutes=service.duration_minutes)
        taken: dict[datetime, str | None] = {}
        for option in options:
            for at in self._accepted(service, option, window_start, window_end):
                taken.setdefault(at, option.name if option is not None else None)
        return [Slot(at, at + length, taken[at]) for at in sorted(taken)]

    def _accepted(self, service: ServiceRule, option: ResourceRule | None, window_start: datetime,
                  window_end: datetime) -> Iterator[datetime]:
        """The grid starts ``refusals`` accepts on ``option``, asking it once per start but stepping over what its
        first reason proves refused too: past a busy block and its buffer, the rest of a closed or full day,
        everything beyond the horizon."""
        rules = self.rules
        length = timedelta(minutes=service.duration_minutes)
        step = timedelta(minutes=rules.step_minutes)
        before = timedelta(minutes=service.buffer_before)
        earliest = max(window_start, self.now + timedelta(minutes=rules.min_notice_minutes))
        day = local(window_start, self.zone).date() - timedelta(days=1)
        last_day = local(window_end, self.zone).date()
        while day <= last_day:
            for opens, closes in self._day_ranges(day, option):
                at = opens if opens >= earliest else opens - ((opens - earliest) // step) * step
                while at + length <= closes and at < window_end:
                    reasons = self.refusals(at, service, option, first_only=True)
                    if not reasons:
                        yield at
                    elif reasons[0].code in (OVERLAP, BUFFER) and reasons[0].block is not None:
                        # every start before the block's end (plus the buffer kept before us) meets it too
                        resume = reasons[0].block.end + before
                        if resume > at + step:
                            at -= ((at - resume) // step) * step
                            continue
                    elif reasons[0].code in (CLOSED, HOLIDAY, DAY_FULL, WEEK_FULL):
                        break  # the whole day is refused for the same reason
                    elif reasons[0].code == TOO_FAR:
                        return
                    at += step
                else:
                    continue
                break  # out of this day's ranges
            day += timedelta(days=1)


def _span(minutes: int) -> str:
    if minutes % 1440 == 0:
        n = minutes // 1440
        return f"{n} day{'s' if n != 1 else ''}'"
    if minutes % 60 == 0:
        n = minutes // 60
        return f"{n} hour{'s' if n != 1 else ''}'"
    return f"{minutes} minutes'"
