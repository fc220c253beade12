"""The week's layout, without a widget: what the week view draws, worked out on a worker thread.

``layout_week`` turns a :class:`WeekView` into :class:`CalendarItem` rows (day column, minutes, lane), and
``cap_lanes`` folds what does not fit into "+N more" chips (:class:`MoreChip`), so tests check what will be drawn
without reading pixels. ``read_week_layout`` is the week's query and both steps, the read the view hands its
:class:`~receptionist.ui.operations.QueryRunner`. The hover texts (``item_tooltip``, ``chip_tooltip``) are written
here too, when the pointer rests on an item.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from receptionist.domain.formatting import format_datetime, format_phone, format_range, format_time, local
from receptionist.domain.models import NOT_MARKED, AppointmentRow, ExternalEventRecord, SyncState, attendance_mark
from receptionist.domain.on_call import OnCall
from receptionist.services import WeekView
from receptionist.services.appointments import Appointments
from receptionist.services.on_call import OnCallDesk, OnCallRead

MAX_LANES = 4  # side-by-side columns in a day; a busier cluster shows MAX_LANES - 1 of them and "+N more" chips
MAX_ALL_DAY_ROWS = 3  # rows in the all-day strip, the last one becoming "+N more" when there are more
MORE_SLOT_MINUTES = 30  # items folded into a chip are grouped by the half hour they start in
RESOURCE_SHARE = 12  # lanes of one resource column in the day view: a whole number for 1, 2, 3 or 4 lanes in it
OTHER_COLUMN = "Other"  # the day view's last column with resources: calendars' events, whole-location bookings


class _Span:
    """Minutes of a block's local ``start`` and ``end`` within its day."""

    start: datetime
    end: datetime

    @property
    def start_minutes(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minutes(self) -> int:
        """Minutes after the day's midnight on the wall clock (1440 when it runs to the end of the day). In the hour
        a fall-back day repeats, an end that reads earlier than the start is the start plus the time elapsed."""
        if self.end.date() > self.start.date():
            return 24 * 60
        wall = self.end.hour * 60 + self.end.minute
        if wall <= self.start_minutes and _utc(self.end) > _utc(self.start):
            return min(24 * 60, self.start_minutes + int((_utc(self.end) - _utc(self.start)).total_seconds() // 60))
        return wall


def _utc(moment: datetime) -> datetime:
    """The instant: aware datetimes sharing a zone compare and subtract as wall times, the fold ignored."""
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class CalendarItem(_Span):
    """One block to draw. Times are local wall times in the location zone, clipped to the item's day."""

    kind: str  # "appointment" (ours), "cancelled" (ours, struck through) or "external"
    key: str  # appointment id or "calendar/remote_id"
    title: str
    day: int  # 0 = Monday of the shown week
    start: datetime  # local
    end: datetime  # local
    calendar: str | None = None  # the external event's calendar key; None for ours
    all_day: bool = False
    lane: int = 0
    lanes: int = 1
    sync: tuple[tuple[str, SyncState], ...] = ()  # ours: (calendar key, state) per connected calendar
    time_label: str = ""  # "9:00 AM – 9:30 AM" for timed items (formatted with the layout, off the GUI thread)
    mark: str = ""  # ours, once its time has come: "✓ Attended", "✗ No-show" or "⚠ Not marked" (attendance_mark)
    resource: str | None = None  # ours: the chair, room or person it takes
    span: int = 1  # lanes it is wide (a resource column's item shares the column's lanes)
    source: AppointmentRow | ExternalEventRecord | None = field(default=None, compare=False, repr=False)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_title(first_day: date) -> str:
    last = first_day + timedelta(days=6)
    if first_day.month == last.month:
        return f"{first_day:%B} {first_day.day} – {last.day}, {last.year}"
    if first_day.year == last.year:
        return f"{first_day:%b} {first_day.day} – {last:%b} {last.day}, {last.year}"
    return f"{first_day:%b} {first_day.day}, {first_day.year} – {last:%b} {last.day}, {last.year}"


def _day_segments(start: datetime, end: datetime, first_day: date, zone: ZoneInfo):
    """Split a local [start, end) into per-day pieces inside the week: (day index, start, end)."""
    # instants (timestamps), not wall times: in the hour a fall-back day repeats, wall times mislead
    end_at = end.timestamp()
    if start.date() == end.date():  # most items: one piece, no midnight to find
        index = (start.date() - first_day).days
        return [(index, start, end)] if 0 <= index < 7 and end_at > start.timestamp() else []
    out = []
    cursor = start
    while cursor.timestamp() < end_at:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), zone)
        piece_end = end if end_at <= next_midnight.timestamp() else next_midnight
        index = (cursor.date() - first_day).days
        if 0 <= index < 7 and piece_end.timestamp() > cursor.timestamp():
            out.append((index, cursor, piece_end))
        cursor = next_midnight
    return out


def _all_day_dates(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """[first, last] dates of an all-day event. Providers give midnight in the event's zone, or UTC midnight."""
    def day_of(instant: datetime) -> date:
        utc = instant.astimezone(timezone.utc)
        if utc.time() == time(0):
            return utc.date()
        return instant.astimezone(zone).date()
    first, end_day = day_of(start), day_of(end)
    return first, max(first, end_day - timedelta(days=1))


def assign_lanes(items: list[CalendarItem]) -> list[CalendarItem]:
    """Side-by-side lanes for items of one day that overlap on the grid (interval partitioning per overlap
    cluster), by their grid minutes: two bookings at 1:30 AM of a fall-back day, an hour apart, share the grid."""
    ordered = sorted(items, key=lambda i: (i.start_minutes, -i.end_minutes, i.kind != "appointment", i.title))
    result: list[CalendarItem] = []
    cluster: list[tuple[CalendarItem, int]] = []
    lane_ends: list[int] = []
    cluster_end: int | None = None

    def flush():
        lanes = max((lane for _, lane in cluster), default=-1) + 1
        result.extend(_replace(item, lane=lane, lanes=lanes) for item, lane in cluster)

    for item in ordered:
        start, end = item.start_minutes, item.end_minutes
        if cluster_end is not None and start >= cluster_end:
            flush()
            cluster, lane_ends, cluster_end = [], [], None
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                lane_ends[lane] = end
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(end)
        cluster.append((item, lane))
        cluster_end = end if cluster_end is None else max(cluster_end, end)
    if cluster:
        flush()
    return result


def _time_label(start: datetime, end: datetime) -> str:
    """``9:00 AM – 9:30 AM``; across a DST change each end names its offset (``1:30 AM CDT – 1:00 AM CST``)."""
    if start.utcoffset() != end.utcoffset():
        return f"{clock_label(start.hour, start.minute)} {start.tzname()} – {clock_label(end.hour, end.minute)} " \
               f"{end.tzname()}"
    return f"{clock_label(start.hour, start.minute)} – {clock_label(end.hour, end.minute)}"


@functools.lru_cache(maxsize=24 * 60)
def clock_label(hour: int, minute: int) -> str:
    """``9:30 AM`` for a local wall time. Remembered: ``strftime`` is slow enough here (it imports ``time`` on every
    call, through PySide6's import hook) to be most of laying out a busy week."""
    return format_time(datetime(2000, 1, 1, hour, minute, tzinfo=timezone.utc), timezone.utc)


def _replace(item: CalendarItem, **changes) -> CalendarItem:
    """``dataclasses.replace`` without re-running ``__init__``: lanes are set on every item of the week on every
    refresh, and the copy is a third of the cost of the layout otherwise. CalendarItem has no ``__post_init__``."""
    copy = object.__new__(CalendarItem)
    copy.__dict__.update(item.__dict__, **changes)
    return copy


def layout_week(week: WeekView, first_day: date, zone: ZoneInfo, now: datetime | None = None) -> list[CalendarItem]:
    """Everything in one week: all-day items (lane = row in the top strip) and timed items in lanes. With ``now``,
    our bookings whose time has come carry their attendance mark."""
    timed: list[CalendarItem] = []
    all_day: list[CalendarItem] = []
    ours = [("appointment", a) for a in week.appointments] + [("cancelled", a) for a in week.cancelled]
    for kind, appt in ours:
        start, end = appt.start.astimezone(zone), appt.end.astimezone(zone)
        sync = tuple((link.calendar, link.state) for link in appt.links) if kind == "appointment" else ()
        # the caller's name first: a narrow item keeps who it is when the service is elided
        title = f"{appt.caller_name or 'Unknown caller'} — {appt.service or 'Appointment'}"
        mark = attendance_mark(appt.status, appt.start, appt.attendance, now) if now is not None else ""
        for day, s, e in _day_segments(start, end, first_day, zone):
            timed.append(CalendarItem(kind, appt.id, title, day, s, e, sync=sync, time_label=_time_label(s, e),
                                      mark=mark, resource=appt.resource, source=appt))
    for ev in week.external:
        key = f"{ev.calendar}/{ev.remote_id}"
        if ev.all_day:
            first, last = _all_day_dates(ev.start, ev.end, zone)
            d = first
            while d <= last:
                index = (d - first_day).days
                if 0 <= index < 7:
                    midnight = datetime.combine(d, time(0), zone)
                    all_day.append(CalendarItem("external", key, ev.title, index, midnight,
                                                midnight + timedelta(days=1), calendar=ev.calendar, all_day=True,
                                                source=ev))
                d += timedelta(days=1)
            continue
        start, end = ev.start.astimezone(zone), ev.end.astimezone(zone)
        for day, s, e in _day_segments(start, end, first_day, zone):
            timed.append(CalendarItem("external", key, ev.title, day, s, e, calendar=ev.calendar,
                                      time_label=_time_label(s, e), source=ev))
    timed_by_day: dict[int, list[CalendarItem]] = defaultdict(list)
    for item in timed:
        timed_by_day[item.day].append(item)
    out: list[CalendarItem] = []
    for day in range(7):
        out.extend(assign_lanes(timed_by_day[day]))
        rows = sorted((i for i in all_day if i.day == day), key=lambda i: (i.calendar or "", i.title))
        out.extend(_replace(item, lane=n, lanes=len(rows)) for n, item in enumerate(rows))
    return out


@dataclass(frozen=True)
class MoreChip(_Span):
    """Stands for items that did not fit their day: drawn in the last lane (or all-day row) as "+N more"."""

    day: int
    start: datetime  # local; the half hour the hidden items start in (the day, for the all-day strip)
    end: datetime
    hidden: tuple[CalendarItem, ...]
    lane: int
    lanes: int
    all_day: bool = False
    span: int = 1

    @property
    def text(self) -> str:
        return f"+{len(self.hidden)} more"


@dataclass(frozen=True)
class OnCallBand(_Span):
    """The part of an on-call shift that falls on one day of the shown week (local wall times), drawn as a shaded
    band with the person's name behind that day's bookings."""

    day: int
    start: datetime
    end: datetime
    person: str
    shift: OnCall  # the whole shift (a night's band is one of its two pieces): its phone, its from and until


@dataclass(frozen=True)
class WeekLayout:
    """What the week view draws: the items that fit, and the chips standing for the rest."""

    first_day: date
    items: tuple[CalendarItem, ...] = ()
    chips: tuple[MoreChip, ...] = ()
    columns: tuple[str, ...] = ()  # the day view's resource columns, left to right (none: one column a day)
    by_resource: "WeekLayout | None" = None  # the same week in resource columns, when the location has resources
    on_call: OnCallRead = OnCallRead((), "")  # the shifts meeting the week (and a day either side)
    bands: tuple[OnCallBand, ...] = ()  # those shifts cut into the week's days


def cap_lanes(first_day: date, items: list[CalendarItem], max_lanes: int = MAX_LANES,
              max_rows: int = MAX_ALL_DAY_ROWS, slot_minutes: int = MORE_SLOT_MINUTES) -> WeekLayout:
    """Fold what does not fit into "+N more" chips.

    A timed cluster needing more than ``max_lanes`` lanes keeps lanes ``0 .. max_lanes - 2``; the items of the
    other lanes are grouped by the ``slot_minutes`` slot they start in, one chip per (day, slot) in the last lane.
    An all-day strip of more than ``max_rows`` rows keeps ``max_rows - 1`` of them and one chip for the rest.
    """
    shown: list[CalendarItem] = []
    folded: dict[tuple[int, bool, int], list[CalendarItem]] = defaultdict(list)
    for item in items:
        limit = max_rows if item.all_day else max_lanes
        if item.lanes <= limit:
            shown.append(item)
        elif item.lane < limit - 1:
            shown.append(_replace(item, lanes=limit))
        else:
            slot = 0 if item.all_day else item.start_minutes // slot_minutes
            folded[(item.day, item.all_day, slot)].append(item)
    chips = []
    for (day, all_day, slot), hidden in sorted(folded.items()):
        midnight = hidden[0].start.replace(hour=0, minute=0, second=0, microsecond=0)
        if all_day:
            start, end, limit = midnight, midnight + timedelta(days=1), max_rows
        else:
            start = midnight + timedelta(minutes=slot * slot_minutes)
            end = min(start + timedelta(minutes=slot_minutes), midnight + timedelta(days=1))
            limit = max_lanes
        chips.append(MoreChip(day, start, end, tuple(hidden), lane=limit - 1, lanes=limit, all_day=all_day))
    return WeekLayout(first_day, tuple(shown), tuple(chips))


def item_tooltip(item: CalendarItem, zone: ZoneInfo, calendar_labels: Mapping[str, str]) -> str:
    """The hover text of one item (built when asked: formatting the phone number is not cheap)."""
    source = item.source
    if isinstance(source, AppointmentRow):
        lines = [item.title, format_range(source.start, source.end, zone)]
        if source.resource:
            lines.append(source.resource)
        if item.kind == "cancelled":
            lines.insert(1, f"Cancelled: {source.cancel_reason}" if source.cancel_reason else "Cancelled")
        if item.mark:
            prompt = ": open it and mark Attended or No-show" if item.mark.endswith(NOT_MARKED) else ""
            lines.insert(2, item.mark + prompt)
        if source.callback_number:
            lines.append(format_phone(source.callback_number))
        lines += [f"{calendar_labels.get(cal, cal)}: {state.label}" for cal, state in item.sync]
        return "\n".join(lines)
    label = calendar_labels.get(item.calendar or "", item.calendar or "")
    free = "" if source is None or source.busy else " · free"
    if item.all_day:
        return f"{item.title}\nAll day · {label}{free}"
    start, end = (source.start, source.end) if source is not None else (item.start, item.end)
    return f"{item.title}\n{format_range(start, end, zone)}\n{label}{free}"


def chip_tooltip(chip: MoreChip, limit: int = 20) -> str:
    """The hover text of a "+N more" chip: what it stands for."""
    lines = [one_line(item) for item in chip.hidden[:limit]]
    if len(chip.hidden) > limit:
        lines.append(f"…and {len(chip.hidden) - limit} more (click to list them all)")
    return "\n".join(lines)


def one_line(item: CalendarItem) -> str:
    if item.all_day:
        return item.title
    return f"{clock_label(item.start.hour, item.start.minute)} {item.title}"



def marks_due(layout: WeekLayout, now: datetime) -> bool:
    """Whether a booking laid out without a mark has begun since (its "⚠ Not marked" is due: read the week again)."""
    items = list(layout.items) + [item for chip in layout.chips for item in chip.hidden]
    return any(item.kind == "appointment" and not item.mark and isinstance(item.source, AppointmentRow)
               and item.source.start <= now for item in items)


def resource_layout(week: WeekLayout, items: list[CalendarItem], resources: tuple[str, ...]) -> WeekLayout:
    """The day view's layout with a column per resource and a last one (``OTHER_COLUMN``) for what takes none (the
    calendars' events, bookings of the location as a whole): each column of a day in lanes and "+N more" chips as
    a day of the week is, its lanes a share (``RESOURCE_SHARE``) of the day's. The all-day strip is the week's."""
    index = {name.casefold(): n for n, name in enumerate(resources)}
    other = len(resources)
    groups: dict[tuple[int, int], list[CalendarItem]] = defaultdict(list)
    for item in items:
        if not item.all_day:
            groups[(item.day, index.get((item.resource or "").casefold(), other))].append(item)
    lanes = (other + 1) * RESOURCE_SHARE
    shown = [i for i in week.items if i.all_day]
    chips = [c for c in week.chips if c.all_day]
    for (_day, column), group in sorted(groups.items()):
        part = cap_lanes(week.first_day, assign_lanes(group))
        for target, into in [(i, shown) for i in part.items] + [(c, chips) for c in part.chips]:
            share = RESOURCE_SHARE // target.lanes
            moved = _replace if isinstance(target, CalendarItem) else replace  # a chip is rarer: the plain copy
            into.append(moved(target, lane=column * RESOURCE_SHARE + target.lane * share, lanes=lanes, span=share))
    return WeekLayout(week.first_day, tuple(shown), tuple(chips), (*resources, OTHER_COLUMN))


def on_call_bands(shifts: tuple[OnCall, ...], first_day: date, zone: ZoneInfo) -> tuple[OnCallBand, ...]:
    """Each shift cut at the local midnights it crosses, the pieces that fall on the shown week (a night shift is
    two bands: the evening and the next morning; a DST day's all-day shift is one whole column)."""
    return tuple(OnCallBand(day, start, end, shift.person, shift) for shift in shifts
                 for day, start, end in _day_segments(shift.start.astimezone(zone), shift.end.astimezone(zone),
                                                      first_day, zone))


def bands_tooltip(bands: list[OnCallBand], zone: ZoneInfo, read: OnCallRead) -> str:
    """The hover text of the on-call bands under the pointer: for each shift the person, their phone and its from
    and until in the location's zone (each with its own zone name: a shift may cross a DST change), where the rota
    comes from, and a warning when it may be out of date. Of overlapping shifts, the one answering (the one that
    started last, ``covering``) comes first."""
    def when(instant: datetime) -> str:
        return f"{local(instant, zone).strftime('%a')} {format_datetime(instant, zone, with_zone=True)}"

    shifts = sorted({band.shift for band in bands}, key=lambda s: (s.start, -(s.end - s.start).total_seconds()),
                    reverse=True)
    parts = [f"On call: {s.person}\n{format_phone(s.phone) or 'no phone given'}\nFrom {when(s.start)}\n"
             f"until {when(s.end)}" for s in shifts]
    where = "the on-call calendar" if read.source == "calendar" else "the profile's on-call roster"
    tail = f"Source: {where}." + (f"\n⚠ Out of date: {read.stale}." if read.stale else "")
    return "\n\n".join([*parts, tail])


def read_week_layout(weeks: Appointments, first_day: date, zone: ZoneInfo,
                     now: datetime | None = None, on_call: OnCallDesk | None = None) -> WeekLayout:
    """The week's query and its layout (and, when the location has resources, the day view's in resource columns),
    each booking marked as of ``now``, with who is on call over the week (``on_call``'s shifts and their bands): no
    widgets, so it runs on a worker thread."""
    view = weeks.week(first_day)
    items = layout_week(view, first_day, zone, now)
    week = cap_lanes(first_day, items)
    if on_call is not None:
        start = datetime.combine(first_day - timedelta(days=1), time(0), zone)
        shifts = on_call.shifts(start, start + timedelta(days=9))
        week = replace(week, on_call=shifts, bands=on_call_bands(shifts.shifts, first_day, zone))
    if not view.resources:
        return week
    return replace(week, by_resource=replace(resource_layout(week, items, view.resources), on_call=week.on_call,
                                             bands=week.bands))


__all__ = ["CalendarItem", "MoreChip", "OnCallBand", "WeekLayout", "assign_lanes", "bands_tooltip", "cap_lanes",
           "chip_tooltip",
           "clock_label", "item_tooltip", "layout_week", "marks_due", "on_call_bands", "one_line", "read_week_layout",
           "resource_layout", "week_start", "week_title"]
