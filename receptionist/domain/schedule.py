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
from functools import lru_cache, partial
from operator import attrgetter
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from receptionist.domain.formatting import format_range, local
from receptionist.domain.models import BusyBlock

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
APPOINTMENT, HOLD = "appointment", "hold"  # BusyBlock sources that count towards the caps
_COUNTED = frozenset({APPOINTMENT, HOLD})
_START, _END = attrgetter("start"), attrgetter("end")
_DAY = timedelta(days=1)

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


@dataclass(slots=True)  # not frozen: the search makes one per start it refuses, and a frozen one costs three times
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


class Slot(NamedTuple):  # a tuple: the search makes one per start offered
    start: datetime
    end: datetime
    resource: str | None = None


_slot = partial(tuple.__new__, Slot)  # Slot((start, end, resource)) without the keyword-handling constructor


class _BusyIndex:
    """Busy blocks sorted by start, with a running maximum of their ends: the blocks overlapping an interval are
    found by bisection, not by a scan, and the one of them that ends last by two bisections."""

    __slots__ = ("blocks", "max_end")

    def __init__(self, blocks: list[BusyBlock], max_end: list[datetime] | None = None):  # sorted by start
        self.blocks = blocks
        self.max_end = max_end if max_end is not None else _latest_ends(blocks)
        assert self.max_end is not None, "blocks out of order"

    @classmethod
    def of(cls, busy: Iterable[BusyBlock]) -> "_BusyIndex":
        """From blocks in any order. The store reads them by start, so one pass checks the order while it makes
        the running maximum; only blocks out of order are sorted (and the pass made again)."""
        blocks = list(busy)
        max_end = _latest_ends(blocks)
        if max_end is None:
            blocks.sort(key=_START)
            max_end = _latest_ends(blocks)
        return cls(blocks, max_end)

    def overlapping(self, lo: datetime, hi: datetime) -> list[BusyBlock]:
        """The blocks meeting (lo, hi), earliest first."""
        blocks, max_end = self.blocks, self.max_end
        i = bisect.bisect_left(blocks, hi, key=_START) - 1
        found = []
        while i >= 0 and max_end[i] > lo:
            if blocks[i].end > lo:
                found.append(blocks[i])
            i -= 1
        found.reverse()
        return found

    def latest(self, lo: datetime, hi: datetime) -> BusyBlock | None:
        """Of the blocks meeting (lo, hi), the one that ends last (the earliest of those, as ``max`` over
        ``overlapping`` picks it); None when none does. The latest end of the blocks starting before ``hi`` is a
        block meeting the interval when it is after ``lo``, and the running maximum first reaches it at that
        block."""
        i = bisect.bisect_left(self.blocks, hi, key=_START) - 1
        if i < 0 or self.max_end[i] <= lo:
            return None
        return self.blocks[bisect.bisect_left(self.max_end, self.max_end[i], 0, i)]


def _latest_ends(blocks: list[BusyBlock]) -> list[datetime] | None:
    """The latest end of ``blocks[:i + 1]`` for each i; None when a block starts before the one before it."""
    if not blocks:
        return []
    latest_ends: list[datetime] = []
    append = latest_ends.append
    previous, latest = blocks[0].start, blocks[0].end
    for b in blocks:
        start, end = b.start, b.end
        if start < previous:
            return None
        previous = start
        if end > latest:
            latest = end
        append(latest)
    return latest_ends


class _Option:
    """Where a booking may go — a resource, or the location as a whole (``rule`` None) — with its hours and the busy
    time that counts against it."""

    __slots__ = ("rule", "key", "hours", "busy")

    def __init__(self, rule: ResourceRule | None, hours: WeeklyHours, busy: _BusyIndex):
        self.rule, self.hours, self.busy = rule, hours, busy
        self.key = _key(rule.name) if rule is not None else None


class _Lengths:
    """A service's length and buffers, and whether a cap (the location's or its own) limits it, worked out once per
    schedule."""

    __slots__ = ("rule", "length", "before", "after", "key", "capped")

    def __init__(self, rule: ServiceRule, rules: BookingRules):
        self.rule, self.key = rule, _key(rule.name)
        self.length, self.before, self.after = (timedelta(minutes=rule.duration_minutes),
                                                timedelta(minutes=rule.buffer_before),
                                                timedelta(minutes=rule.buffer_after))
        self.capped = bool(rules.max_per_day or rules.max_per_week or rule.max_per_day or rule.max_per_week)


class _Day:
    """A local date on one option, worked out once per schedule: the closure it falls in, its opening ranges as UTC
    instants, and (once a capped service asks) the bookings counted that day and that week."""

    __slots__ = ("date", "closure", "spans", "tallies")

    def __init__(self, day: date, closure: Closure | None, spans: tuple[tuple[datetime, datetime], ...]):
        self.date, self.closure, self.spans = day, closure, spans
        self.tallies: tuple[tuple[Counter, str, str], ...] | None = None


@lru_cache(maxsize=4096)
def _spans(zone: ZoneInfo, day: date, ranges: tuple[Range, ...]) -> tuple[tuple[datetime, datetime], ...]:
    """``ranges`` (minutes after local midnight) on ``day`` as UTC instants: midnight plus minutes on a day with no
    clock change, each range converted exactly on a DST day. Kept across schedules (each read makes one, and the
    zone's conversions are the dear part); a pure function of its arguments."""
    midnight = _instant(zone, day, 0)
    if _instant(zone, day, 1440) - midnight == _DAY:
        return tuple((midnight + timedelta(minutes=o), midnight + timedelta(minutes=c)) for o, c in ranges)
    return tuple((_instant(zone, day, o), _instant(zone, day, c)) for o, c in ranges)


def _instant(zone: ZoneInfo, day: date, minutes: int) -> datetime:
    if minutes == 1440:
        day, minutes = day + timedelta(days=1), 0
    return datetime.combine(day, time(minutes // 60, minutes % 60), zone).astimezone(timezone.utc)


class Schedule:
    """The booking rules over one read of busy time, at one moment.

    ``busy`` holds our appointments (source ``appointment``, with their service), slots held for other callers
    (``hold``) and the calendars' busy events (source: the calendar's key); ``labels`` names each calendar as a
    person knows it.

    The busy blocks are sorted once; a day's closure and opening ranges are worked out once per local date (the
    zone's conversions, the dear part, once per process: ``_spans``), and the search asks the rule per start with
    the day it walks, so no start is converted to the location's zone. The caps' counts are made when a capped
    service first asks."""

    def __init__(self, rules: BookingRules, busy: Iterable[BusyBlock], now: datetime,
                 labels: Mapping[str, str] | None = None):
        self.rules = rules
        self.zone = rules.zone
        self.now = now
        self.labels = {APPOINTMENT: "our booking", HOLD: "offered on the phone", **(labels or {})}
        index = _BusyIndex.of(busy)
        self._options = self._index(index)
        self._blocks = index.blocks
        self._counts: tuple[dict[date, Counter], dict[date, Counter]] | None = None  # per day, per week: ``_tallies``
        self._days: dict[tuple[date, str | None], _Day] = {}
        self._lengths: dict[ServiceRule, _Lengths] = {}
        self._earliest = now + timedelta(minutes=rules.min_notice_minutes)
        self._latest = now + timedelta(days=rules.horizon_days) if rules.horizon_days else None
        self._step = timedelta(minutes=rules.step_minutes)
        self._step_seconds = 60 * rules.step_minutes

    def _index(self, index: _BusyIndex) -> dict[str | None, _Option]:
        """The busy time of the location as a whole (None) and of each resource, from the index of every block (by
        start): a booking or hold on a resource is busy for that resource and the location, not the others; a
        resource's own calendar for that resource alone; everything else for every one."""
        rules = self.rules
        if not rules.resources:
            return {None: _Option(None, rules.hours, index)}
        blocks = index.blocks
        own: dict[str, list[str]] = {}
        for r in rules.resources:
            if r.calendar:
                own.setdefault(r.calendar, []).append(_key(r.name))
        keys = [_key(r.name) for r in rules.resources]
        whole: list[BusyBlock] = []
        each: dict[str, list[BusyBlock]] = {key: [] for key in keys}
        for b in blocks:
            taken = _key(b.resource) if b.resource is not None else None
            if taken in each:
                whole.append(b)
                each[taken].append(b)
            elif b.source in own:
                for key in own[b.source]:
                    each[key].append(b)
            else:
                whole.append(b)
                for key in keys:
                    each[key].append(b)
        options = {None: _Option(None, rules.hours, _BusyIndex(whole))}
        for r, key in zip(rules.resources, keys):
            options[key] = _Option(r, r.hours if r.hours is not None else rules.hours, _BusyIndex(each[key]))
        return options

    # --- the rule ---------------------------------------------------------------------------------------------------

    def refusals(self, start: datetime, service: ServiceRule, resource: ResourceRule | None = None) -> list[Refusal]:
        """Every reason ``service`` may not start at ``start`` (on ``resource``, or the location when None);
        none: it may."""
        option = self._option(resource)
        return self._refusals(start, self._day(start.astimezone(self.zone).date(), option), self._service(service),
                              option, False)

    def _refusals(self, start: datetime, today: _Day, service: _Lengths, option: _Option,
                  first_only: bool) -> list[Refusal]:
        """The rule itself; ``today`` is ``start``'s local date on ``option``. ``refusals`` and the search
        (``_accepted``) both ask it; ``first_only`` (the search) stops at the first reason, and of busy time names
        the block that keeps the start away longest."""
        found: list[Refusal] = []
        rules = self.rules
        end = start + service.length
        if start < self.now:
            found.append(Refusal(PAST, "the requested time is in the past"))
        elif start < self._earliest:
            found.append(Refusal(TOO_SOON, f"too soon: bookings need {_span(rules.min_notice_minutes)} notice"))
        if self._latest is not None and start > self._latest:
            found.append(Refusal(TOO_FAR, f"too far ahead: bookings are taken up to {rules.horizon_days} days ahead"))
        if found and first_only:
            return found
        day, closure, ranges = today.date, today.closure, today.spans
        if closure is not None:
            found.append(Refusal(HOLIDAY, f"closed for {closure.name} ({day.month}/{day.day})"))
        elif not ranges:
            resource = option.rule
            who = f"{resource.name} is" if resource is not None and resource.hours is not None else "we are"
            found.append(Refusal(CLOSED, f"{who} closed on {DAY_NAMES[day.weekday()]}"))
        else:
            for opens, closes in ranges:
                if opens <= start and end <= closes:
                    into = start - opens  # its fields, not ``% step``: a timedelta's modulo costs twice as much
                    if (into.days * 86400 + into.seconds) % self._step_seconds or into.microseconds:
                        found.append(Refusal(OFF_GRID, f"not a bookable start: times start every "
                                                       f"{rules.step_minutes} minutes from opening"))
                    break
            else:
                hours = option.hours
                found.append(Refusal(OUTSIDE_HOURS, lambda: f"outside opening hours ({hours.said(day.weekday())})"))
        if found and first_only:
            return found
        lo = start - service.before if service.before else start
        hi = end + service.after if service.after else end
        if first_only:  # one reason will do: the block that keeps this start away longest
            block = option.busy.latest(lo, hi)
            if block is not None:
                return [self._busy_refusal(block, start, end, service)]
        else:
            near = option.busy.overlapping(lo, hi)
            # the overlaps first, then the buffers
            found += [self._busy_refusal(b, start, end, service) for b in near if b.start < end and start < b.end]
            found += [self._busy_refusal(b, start, end, service) for b in near
                      if not (b.start < end and start < b.end)]
        if service.capped:
            for tally, code, period in today.tallies if today.tallies is not None else self._tallies(today):
                cap_total, cap_own = ((rules.max_per_day, service.rule.max_per_day) if code == DAY_FULL
                                      else (rules.max_per_week, service.rule.max_per_week))
                if cap_total and tally[""] >= cap_total:
                    found.append(Refusal(code, f"fully booked {period} ({cap_total} bookings at most)"))
                elif cap_own and tally[service.key] >= cap_own:
                    found.append(Refusal(code, f"fully booked {period} for {service.rule.name} ({cap_own} at most)"))
                else:
                    continue
                if first_only:
                    return found
        return found

    def _busy_refusal(self, block: BusyBlock, start: datetime, end: datetime, service: _Lengths) -> Refusal:
        """The refusal of a start whose booking (``start``–``end``) or buffers meet ``block``."""
        if block.start < end and start < block.end:
            return Refusal(OVERLAP, lambda: f"overlaps {self._named(block)}", block)
        before = block.end <= start
        return Refusal(BUFFER, lambda: self._too_close(block, service.rule, before), block)

    def _service(self, service: ServiceRule) -> _Lengths:
        lengths = self._lengths.get(service)
        if lengths is None:
            lengths = self._lengths[service] = _Lengths(service, self.rules)
        return lengths

    def _option(self, resource: ResourceRule | None) -> _Option:
        return self._options[_key(resource.name) if resource is not None else None]

    def _named(self, block: BusyBlock) -> str:
        return (f"{block.title or 'a busy block'} ({self.labels.get(block.source, block.source)}, "
                f"{format_range(block.start, block.end, self.zone)})")

    def _too_close(self, block: BusyBlock, service: ServiceRule, before: bool) -> str:
        """Why a start within a buffer of ``block`` is refused (``before``: the block ends before the start)."""
        minutes = service.buffer_before if before else service.buffer_after
        if block.source == HOLD:
            return (f"within the {minutes}-minute buffer {'after' if before else 'before'} a time held for another "
                    f"caller ({format_range(block.start, block.end, self.zone)})")
        return (f"within the {minutes}-minute buffer {'before' if before else 'after'} this booking: too close to "
                f"{self._named(block)}")

    def _day(self, day: date, option: _Option) -> _Day:
        """``day`` on ``option``: the closure it falls in, if any, and its opening ranges as UTC instants."""
        key = (day, option.key)
        known = self._days.get(key)
        if known is None:
            ranges = option.hours.days[day.weekday()]
            known = self._days[key] = _Day(day, self.rules.closure_on(day) if self.rules.closures else None,
                                           _spans(self.zone, day, ranges) if ranges else ())
        return known

    def _tallies(self, today: _Day) -> tuple[tuple[Counter, str, str], ...]:
        """The bookings of ours and holds counted on ``today`` and in its week (Monday first), per service and in
        all (key ""), each with the code and the words of its cap; none for a day or week with none. The counts are
        made once, when a capped service first asks."""
        if self._counts is None:
            self._counts = per_day, per_week = {}, {}
            for b in self._blocks:
                if b.source in _COUNTED:
                    day = local(b.start, self.zone).date()
                    for counts, key in ((per_day, day), (per_week, day - timedelta(days=day.weekday()))):
                        tally = counts.setdefault(key, Counter())
                        tally[""] += 1
                        tally[_key(b.service)] += 1
        per_day, per_week = self._counts
        day = today.date
        today.tallies = tuple((tally, code, period) for tally, code, period in (
            (per_day.get(day), DAY_FULL, "that day"),
            (per_week.get(day - timedelta(days=day.weekday())), WEEK_FULL, "that week")) if tally is not None)
        return today.tallies

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
        lengths = self._service(service)
        length = lengths.length
        if len(options) == 1:  # the search walks forward: its starts come earliest first
            name = options[0].name if options[0] is not None else None
            return [_slot((at, at + length, name))
                    for at in self._accepted(lengths, self._option(options[0]), window_start, window_end)]
        taken: dict[datetime, str | None] = {}
        for option in options:
            name = option.name if option is not None else None
            for at in self._accepted(lengths, self._option(option), window_start, window_end):
                taken.setdefault(at, name)
        return [Slot(at, at + length, taken[at]) for at in sorted(taken)]

    def _accepted(self, service: _Lengths, option: _Option, window_start: datetime,
                  window_end: datetime) -> Iterator[datetime]:
        """The grid starts the rule (``_refusals``) accepts on ``option``, asking it once per start but stepping
        over what its first reason proves refused too: past a busy block and its buffer, the rest of a closed or
        full day, everything beyond the horizon."""
        step, length, before = self._step, service.length, service.before
        earliest = max(window_start, self._earliest)
        end = window_end
        day = local(window_start, self.zone).date() - timedelta(days=1)
        last_day = local(window_end, self.zone).date()
        refusals = self._refusals
        open_days = option.hours.days
        while day <= last_day:
            if not open_days[day.weekday()]:  # closed every such day: nothing to walk
                day += _DAY
                continue
            today = self._day(day, option)
            for opens, closes in today.spans:
                at = opens if opens >= earliest else opens - ((opens - earliest) // step) * step
                while at + length <= closes and at < end:
                    reasons = refusals(at, today, service, option, True)
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
            day += _DAY


def _span(minutes: int) -> str:
    if minutes % 1440 == 0:
        n = minutes // 1440
        return f"{n} day{'s' if n != 1 else ''}'"
    if minutes % 60 == 0:
        n = minutes // 60
        return f"{n} hour{'s' if n != 1 else ''}'"
    return f"{minutes} minutes'"
