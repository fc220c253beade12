"""A week calendar (Mon–Sun, location time) merging our appointments with the connected calendars' events.

``layout_week`` turns a :class:`WeekView` into :class:`CalendarItem` rows (day column, minutes, lane) without any
widget, and ``cap_lanes`` folds what does not fit into "+N more" chips, so tests check what will be drawn without
reading pixels. Both run on a worker thread with the week's query (:class:`~receptionist.ui.operations.QueryRunner`);
the GUI thread maps the result to rectangles and renders them into a pixmap once per (layout, size), and each paint
copies the exposed part of it. Tooltips are written when the pointer rests on an item, not for every item up front.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_phone, format_range, format_time
from receptionist.domain.models import AppointmentRow, ExternalEventRecord, SyncState
from receptionist.services import WeekView
from receptionist.services.appointments import Appointments
from receptionist.ui import theme
from receptionist.ui.operations import QueryRunner

DAY_START_HOUR = 7
DAY_END_HOUR = 20
MAX_LANES = 4  # side-by-side columns in a day; a busier cluster shows MAX_LANES - 1 of them and "+N more" chips
MAX_ALL_DAY_ROWS = 3  # rows in the all-day strip, the last one becoming "+N more" when there are more
MORE_SLOT_MINUTES = 30  # items folded into a chip are grouped by the half hour they start in


class _Span:
    """Minutes of a block's local ``start`` and ``end`` within its day."""

    start: datetime
    end: datetime

    @property
    def start_minutes(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minutes(self) -> int:
        """Minutes after the day's midnight (1440 when it runs to the end of the day)."""
        if self.end.date() > self.start.date():
            return 24 * 60
        return self.end.hour * 60 + self.end.minute


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
    out = []
    cursor = start
    while cursor < end:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), zone)
        piece_end = min(end, next_midnight)
        index = (cursor.date() - first_day).days
        if 0 <= index < 7 and piece_end > cursor:
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
    """Side-by-side lanes for overlapping timed items of one day (interval partitioning per overlap cluster)."""
    ordered = sorted(items, key=lambda i: (i.start, -i.end_minutes, i.kind != "appointment", i.title))
    result: list[CalendarItem] = []
    cluster: list[tuple[CalendarItem, int]] = []
    lane_ends: list[datetime] = []
    cluster_end: datetime | None = None

    def flush():
        lanes = max((lane for _, lane in cluster), default=-1) + 1
        result.extend(_replace(item, lane=lane, lanes=lanes) for item, lane in cluster)

    for item in ordered:
        if cluster_end is not None and item.start >= cluster_end:
            flush()
            cluster, lane_ends, cluster_end = [], [], None
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= item.start:
                lane_ends[lane] = item.end
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(item.end)
        cluster.append((item, lane))
        cluster_end = item.end if cluster_end is None else max(cluster_end, item.end)
    if cluster:
        flush()
    return result


def _time_label(start: datetime, end: datetime) -> str:
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


def layout_week(week: WeekView, first_day: date, zone: ZoneInfo) -> list[CalendarItem]:
    """Everything in one week: all-day items (lane = row in the top strip) and timed items in lanes."""
    timed: list[CalendarItem] = []
    all_day: list[CalendarItem] = []
    ours = [("appointment", a) for a in week.appointments] + [("cancelled", a) for a in week.cancelled]
    for kind, appt in ours:
        start, end = appt.start.astimezone(zone), appt.end.astimezone(zone)
        sync = tuple((link.calendar, link.state) for link in appt.links) if kind == "appointment" else ()
        title = f"{appt.service or 'Appointment'} — {appt.caller_name or 'Unknown caller'}"
        for day, s, e in _day_segments(start, end, first_day, zone):
            timed.append(CalendarItem(kind, appt.id, title, day, s, e, sync=sync, time_label=_time_label(s, e),
                                      source=appt))
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

    @property
    def text(self) -> str:
        return f"+{len(self.hidden)} more"


@dataclass(frozen=True)
class WeekLayout:
    """What the week view draws: the items that fit, and the chips standing for the rest."""

    first_day: date
    items: tuple[CalendarItem, ...] = ()
    chips: tuple[MoreChip, ...] = ()


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
        if item.kind == "cancelled":
            lines.insert(1, f"Cancelled: {source.cancel_reason}" if source.cancel_reason else "Cancelled")
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
    lines = [_one_line(item) for item in chip.hidden[:limit]]
    if len(chip.hidden) > limit:
        lines.append(f"…and {len(chip.hidden) - limit} more (click to list them all)")
    return "\n".join(lines)


def _one_line(item: CalendarItem) -> str:
    if item.all_day:
        return item.title
    return f"{clock_label(item.start.hour, item.start.minute)} {item.title}"


CHIP_COLOR = QColor("#475569")
CHIP_FILL = QColor("#f1f5f9")
CANCELLED_COLOR = QColor("#94a3b8")
CANCELLED_FILL = QColor("#f8fafc")


def item_color(item: CalendarItem) -> QColor:
    return _kind_color(item.kind, item.calendar)


def _kind_color(kind: str, calendar: str | None) -> QColor:
    if kind == "appointment":
        return QColor(theme.APPOINTMENT_COLOR)
    if kind == "cancelled":
        return QColor(CANCELLED_COLOR)
    return theme.calendar_color(calendar or "")


@functools.lru_cache(maxsize=64)
def _block_colors(kind: str, calendar: str | None) -> tuple[QColor, QColor, QColor]:
    """(border, fill, text) of a timed item of this kind and calendar: made once, not for every item of every
    frame (the frame is rebuilt each time the week's layout changes, several times a second during a sync)."""
    color = _kind_color(kind, calendar)
    if kind == "cancelled":
        return color, CANCELLED_FILL, color.darker(130)
    fill = QColor(color)
    if kind != "appointment":
        fill.setAlpha(40)
    return color.darker(115), fill, QColor("#ffffff") if kind == "appointment" else color.darker(160)


_SYNC_DOTS = {state: theme.sync_color(state) for state in SyncState}


@dataclass
class _Geometry:
    """Shared by the header and the body so their columns line up."""

    width: int
    gutter: int = 56

    def column_width(self) -> float:
        return max(40.0, (self.width - self.gutter) / 7)

    def column_x(self, day: int) -> float:
        return self.gutter + day * self.column_width()

    def day_at(self, x: float) -> int | None:
        day = math.floor((x - self.gutter) / self.column_width())
        return day if 0 <= day < 7 else None


@dataclass
class _State:
    first_day: date
    layout: WeekLayout
    today: date | None = None
    now_local: datetime | None = None


Target = CalendarItem | MoreChip


@dataclass
class _Block:
    """One item or chip, ready to paint: rectangle, colours and elided text worked out once per frame."""

    rect: QRectF
    target: Target
    border: QColor
    fill: QColor
    text_color: QColor
    title: str
    title_at: QPointF
    when: str = ""
    when_at: QPointF | None = None
    pill: QRectF | None = None
    dots: tuple[tuple[QRectF, QColor], ...] = ()
    strike: QLineF | None = None  # through the title of a cancelled booking


@dataclass
class _Frame:
    """Everything the canvas paints for one (layout, size): built when either changes, reused by every paint.

    ``backdrop`` is the grid and every block rendered once into a pixmap (for the shown week and today); a paint
    copies the exposed part of it and draws the "now" line on top.
    """

    layout: WeekLayout
    size: QSize
    hour_lines: list[tuple[float, str, QRectF]]  # y, label, label box
    half_lines: list[float]
    by_day: list[list[_Block]]  # per day, in drawing order
    backdrop: QPixmap | None = None
    backdrop_key: tuple[date, date | None] | None = None

    def blocks(self) -> list[_Block]:
        return [b for day in self.by_day for b in day]


class _Elider:
    """Elided text for one font, remembered by (text, width): a refresh after news about one booking finds nearly
    every title and lane width of the week already elided."""

    LIMIT = 20_000

    def __init__(self, font: QFont):
        self.font_key = font.key()
        self.metrics = QFontMetrics(font)
        self._done: dict[tuple[str, int], str] = {}

    def __call__(self, text: str, width: float) -> str:
        key = (text, max(0, int(width)))
        elided = self._done.get(key)
        if elided is None:
            if len(self._done) >= self.LIMIT:
                self._done.clear()
            elided = self._done[key] = self.metrics.elidedText(text, Qt.TextElideMode.ElideRight, key[1])
        return elided


class _Tooltips:
    """Tooltips written on hover: a widget mixing this in provides ``target_at(pos)`` and ``describe(target)``."""

    target_at: Callable[[QPoint], Target | None]
    describe: Callable[[Target], str]

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            target = self.target_at(event.pos())
            if target is not None:
                QToolTip.showText(event.globalPos(), self.describe(target), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)  # type: ignore[misc]


class _MoreMenus:
    """Clicking an item emits ``item_clicked``; clicking a "+N more" chip lists what it hides in a menu."""

    item_clicked: Signal
    more_menu: QMenu | None
    target_at: Callable[[QPoint], Target | None]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        target = self.target_at(event.position().toPoint())
        if isinstance(target, CalendarItem):
            self.item_clicked.emit(target)
        elif isinstance(target, MoreChip):
            self.show_more(target, event.globalPosition().toPoint())
        super().mousePressEvent(event)  # type: ignore[misc]

    def show_more(self, chip: MoreChip, at: QPoint) -> QMenu:
        """Pop up the items ``chip`` stands for; choosing one is a click on it."""
        menu = QMenu(self)  # type: ignore[arg-type]
        for item in chip.hidden:
            action = menu.addAction(_one_line(item))
            action.triggered.connect(lambda _checked=False, item=item: self.item_clicked.emit(item))
        if self.more_menu is not None:
            self.more_menu.deleteLater()
        self.more_menu = menu
        menu.popup(at)
        return menu


class _DayHeader(_Tooltips, _MoreMenus, QWidget):
    """Day names and the all-day strip; stays put while the hours scroll.

    Signals:
        item_clicked(CalendarItem)
    """

    item_clicked = Signal(object)
    ROW = 20

    def __init__(self, state: _State, describe: Callable[[Target], str], parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.describe = describe
        self.right_margin = 0
        self.more_menu: QMenu | None = None
        self.setMouseTracking(True)
        self._frame: tuple[WeekLayout, int, list[_Block]] | None = None
        self._elider: _Elider | None = None

    def _rows(self) -> int:
        layout = self.state.layout
        return max([i.lanes for i in layout.items if i.all_day] + [c.lanes for c in layout.chips if c.all_day],
                   default=0)

    def sizeHint(self) -> QSize:
        return QSize(600, self.minimumSizeHint().height())

    def minimumSizeHint(self) -> QSize:
        rows = self._rows()
        return QSize(300, 30 + (rows * (self.ROW + 2) + 6 if rows else 0))

    def refresh(self) -> None:
        self.setFixedHeight(self.minimumSizeHint().height())
        self.update()

    def _small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        return small

    def blocks(self) -> list[_Block]:
        """The all-day strip's blocks for the current layout and width (worked out once for both)."""
        if self._frame is not None and self._frame[0] is self.state.layout and self._frame[1] == self.width():
            return self._frame[2]
        geo = _Geometry(self.width() - self.right_margin)
        cw = geo.column_width()
        if self._elider is None or self._elider.font_key != self.font().key():
            self._elider = _Elider(self.font())
        elide, fm = self._elider, self._elider.metrics
        blocks = []
        targets: list[Target] = [i for i in self.state.layout.items if i.all_day]
        targets += [c for c in self.state.layout.chips if c.all_day]
        for target in targets:
            rect = QRectF(geo.column_x(target.day) + 2, 31 + target.lane * (self.ROW + 2), cw - 4, self.ROW)
            if isinstance(target, MoreChip):
                color, text = CHIP_COLOR, target.text
            else:
                color, text = item_color(target), target.title
            fill = QColor(color)
            fill.setAlpha(45)
            baseline = rect.top() + (rect.height() + fm.ascent() - fm.descent()) / 2
            blocks.append(_Block(rect, target, color, fill, color.darker(140), elide(text, rect.width() - 8),
                                 QPointF(rect.left() + 5, baseline)))
        self._frame = (self.state.layout, self.width(), blocks)
        return blocks

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        geo = _Geometry(self.width() - self.right_margin)
        cw = geo.column_width()
        p.fillRect(self.rect(), QColor("#ffffff"))
        bold = QFont(self.font())
        bold.setBold(True)
        for day in range(7):
            d = self.state.first_day + timedelta(days=day)
            x = geo.column_x(day)
            cell = QRectF(x, 0, cw, 28)
            if d == self.state.today:
                p.fillRect(cell, QColor("#dbeafe"))
            p.setFont(bold if d == self.state.today else self.font())
            p.setPen(QColor("#1d4ed8" if d == self.state.today else "#334155"))
            p.drawText(cell, Qt.AlignmentFlag.AlignCenter, f"{d:%a} {d.month}/{d.day}")
        p.setFont(self.font())
        if self._rows():
            p.setPen(QColor("#64748b"))
            p.setFont(self._small_font())
            p.drawText(QRectF(0, 30, geo.gutter - 6, self.ROW), Qt.AlignmentFlag.AlignRight
                       | Qt.AlignmentFlag.AlignVCenter, "all day")
            p.setFont(self.font())
        for block in self.blocks():
            p.setPen(QPen(block.border, 1))
            p.setBrush(block.fill)
            p.drawRoundedRect(block.rect, 3, 3)
            p.setPen(block.text_color)
            p.drawText(block.title_at, block.title)
        p.setPen(QPen(QColor("#cbd5e1")))
        p.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        p.end()

    def target_at(self, pos: QPoint) -> Target | None:
        for block in self.blocks():
            if block.rect.contains(pos.toPointF()):
                return block.target
        return None


class WeekCanvas(_Tooltips, _MoreMenus, QWidget):
    """The hours grid with timed items in lanes, "+N more" chips and the "now" line.

    Rectangles, colours, elided titles and time labels are worked out by :meth:`frame` once per (layout, size)
    and rendered by :meth:`backdrop` into a pixmap; a paint copies the exposed rectangle of it and adds the "now"
    line.

    Signals:
        item_clicked(CalendarItem)
    """

    item_clicked = Signal(object)
    TOP = 10  # room for the first hour's label

    def __init__(self, state: _State, describe: Callable[[Target], str], parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.describe = describe
        self.first_hour = DAY_START_HOUR
        self.last_hour = DAY_END_HOUR
        self.min_hour_height = 36
        self.more_menu: QMenu | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._frame: _Frame | None = None
        self._elider: _Elider | None = None

    def refresh(self) -> None:
        """The layout changed: fit the hours to it and repaint (the frame is rebuilt on the next paint)."""
        layout = self.state.layout
        timed = [i for i in layout.items if not i.all_day] + [c for c in layout.chips if not c.all_day]
        self.first_hour = min([DAY_START_HOUR] + [i.start_minutes // 60 for i in timed])
        self.last_hour = max([DAY_END_HOUR] + [math.ceil(i.end_minutes / 60) for i in timed])
        self.setMinimumHeight(self.hours() * self.min_hour_height + 2 * self.TOP)
        self.updateGeometry()
        self.update()

    def hours(self) -> int:
        return self.last_hour - self.first_hour

    def hour_height(self) -> float:
        return max(float(self.min_hour_height), (self.height() - 2 * self.TOP) / max(1, self.hours()))

    def y_of(self, minutes: float) -> float:
        return self.TOP + (minutes - self.first_hour * 60) / 60 * self.hour_height()

    def sizeHint(self) -> QSize:
        return QSize(700, self.hours() * 48 + 8)

    def _small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        return small

    def frame(self) -> _Frame:
        """The painted blocks for the current layout and size: reused until either changes."""
        frame = self._frame
        if frame is not None and frame.layout is self.state.layout and frame.size == self.size():
            return frame
        self._frame = frame = self._build_frame()
        return frame

    def _build_frame(self) -> _Frame:
        geo = _Geometry(self.width())
        cw = geo.column_width()
        small = self._small_font()
        if self._elider is None or self._elider.font_key != small.key():
            self._elider = _Elider(small)
        elide, fm = self._elider, self._elider.metrics
        line, ascent = fm.height(), fm.ascent()
        hour_height, origin = self.hour_height(), self.first_hour * 60

        def y_of(minutes: float) -> float:  # self.y_of without asking the widget its height for every item
            return self.TOP + (minutes - origin) / 60 * hour_height

        hour_lines, half_lines = [], []
        for hour in range(self.first_hour, self.last_hour + 1):
            y = y_of(hour * 60)
            label = clock_label(hour % 24, 0).replace(":00", "")
            hour_lines.append((y, label, QRectF(0, y - 8, geo.gutter - 8, 16)))
            if hour < self.last_hour:
                half_lines.append(y_of(hour * 60 + 30))
        by_day: list[list[_Block]] = [[] for _ in range(7)]
        targets: list[Target] = [i for i in self.state.layout.items if not i.all_day]
        targets += [c for c in self.state.layout.chips if not c.all_day]
        for target in targets:
            lane_w = (cw - 6) / target.lanes
            x = geo.column_x(target.day) + 3 + target.lane * lane_w
            top = y_of(target.start_minutes)
            bottom = max(top + 16, y_of(target.end_minutes))
            rect = QRectF(x, top, lane_w - 2, bottom - top - 1)
            inner = rect.adjusted(6, 2, -4, -2)
            title_at = QPointF(inner.left(), inner.top() + ascent)
            if isinstance(target, MoreChip):
                by_day[target.day].append(_Block(rect, target, CHIP_COLOR, CHIP_FILL, CHIP_COLOR,
                                                 elide(target.text, inner.width()), title_at))
                continue
            block = self._item_block(target, rect, inner, elide, title_at)
            if inner.height() >= line * 2:
                block.when = elide(target.time_label, inner.width())
                block.when_at = QPointF(inner.left(), inner.top() + line + ascent)
            by_day[target.day].append(block)
        return _Frame(self.state.layout, self.size(), hour_lines, half_lines, by_day)

    @staticmethod
    def _item_block(item: CalendarItem, rect: QRectF, inner: QRectF, elide: _Elider, title_at: QPointF) -> _Block:
        border, fill, text_color = _block_colors(item.kind, item.calendar)
        ours = item.kind == "appointment"
        if item.kind == "cancelled":
            title = elide(item.title, inner.width())
            width = elide.metrics.horizontalAdvance(title)
            middle = title_at.y() - elide.metrics.strikeOutPos()
            return _Block(rect, item, border, fill, text_color, title, title_at,
                          strike=QLineF(title_at.x(), middle, title_at.x() + width, middle))
        dots_w, pill, dots = 0, None, []
        if ours and item.sync:
            # one dot per calendar, in the sync table's column order, on a white pill so any colour reads
            n_dots = len(item.sync)
            vertical = rect.width() < 90 and rect.height() >= 10 * n_dots + 6
            if vertical:
                dots_w = 14
                pill = QRectF(rect.right() - 12, rect.top() + 3, 10, 10 * n_dots + 2)
            else:
                dots_w = 10 * n_dots + 8
                pill = QRectF(rect.right() - dots_w, rect.top() + 3, dots_w - 3, 12)
            for n, (_cal, state) in enumerate(item.sync):
                at = (QRectF(pill.left() + 1, pill.top() + 2 + n * 10, 8, 8) if vertical
                      else QRectF(pill.left() + 3 + n * 10, pill.top() + 2, 8, 8))
                dots.append((at, _SYNC_DOTS[state]))
        return _Block(rect, item, border, fill, text_color, elide(item.title, inner.width() - dots_w),
                      title_at, pill=pill, dots=tuple(dots))

    def item_rects(self) -> list[tuple[QRectF, CalendarItem]]:
        """Where each timed item is drawn at the current size."""
        return [(b.rect, b.target) for b in self.frame().blocks() if isinstance(b.target, CalendarItem)]

    def backdrop(self) -> QPixmap:
        """The grid and all blocks as one pixmap: rendered once per frame, week and today; every paint reuses it."""
        frame = self.frame()
        key = (self.state.first_day, self.state.today)
        if frame.backdrop is None or frame.backdrop_key != key:
            frame.backdrop, frame.backdrop_key = self._render_backdrop(frame), key
        return frame.backdrop

    def _render_backdrop(self, frame: _Frame) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(frame.size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(QColor("#ffffff"))
        p = QPainter(pixmap)
        geo = _Geometry(frame.size.width())
        cw, height, width = geo.column_width(), frame.size.height(), frame.size.width()
        for day in range(7):  # today's column and the weekend
            d = self.state.first_day + timedelta(days=day)
            x = geo.column_x(day)
            if d == self.state.today:
                p.fillRect(QRectF(x, 0, cw, height), QColor("#f0f7ff"))
            elif d.weekday() >= 5:
                p.fillRect(QRectF(x, 0, cw, height), QColor("#fafafa"))
        p.setFont(self._small_font())
        grid = QPen(QColor("#e2e8f0"))
        for y, label, box in frame.hour_lines:
            p.setPen(grid)
            p.drawLine(int(geo.gutter), int(y), width, int(y))
            p.setPen(QColor("#64748b"))
            p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        p.setPen(QPen(QColor("#f1f5f9"), 1, Qt.PenStyle.DotLine))
        for y in frame.half_lines:
            p.drawLine(int(geo.gutter), int(y), width, int(y))
        p.setPen(grid)
        for day in range(8):
            x = int(geo.column_x(day))
            p.drawLine(x, 0, x, height)

        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for block in frame.blocks():
            p.setPen(QPen(block.border, 1))
            p.setBrush(block.fill)
            p.drawRoundedRect(block.rect, 4, 4)
            target = block.target
            if isinstance(target, CalendarItem) and target.kind == "external":
                p.fillRect(QRectF(block.rect.left(), block.rect.top(), 3, block.rect.height()), block.border)
            if block.pill is not None:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor("#ffffff"))
                p.drawRoundedRect(block.pill, 5, 5)
                for at, color in block.dots:
                    p.setBrush(color)
                    p.drawEllipse(at)
            p.setPen(block.text_color)
            p.drawText(block.title_at, block.title)
            if block.strike is not None:
                p.drawLine(block.strike)
            if block.when_at is not None:
                p.drawText(block.when_at, block.when)
        p.end()
        return pixmap

    def paintEvent(self, event: QPaintEvent) -> None:
        backdrop = self.backdrop()
        area = QRectF(event.rect())
        ratio = backdrop.devicePixelRatio()
        p = QPainter(self)
        p.drawPixmap(area, backdrop, QRectF(area.x() * ratio, area.y() * ratio,
                                            area.width() * ratio, area.height() * ratio))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        geo = _Geometry(self.width())
        cw = geo.column_width()

        # the "now" line across today's column
        now = self.state.now_local
        if now is not None and self.state.today is not None:
            day = (now.date() - self.state.first_day).days
            minutes = now.hour * 60 + now.minute
            if 0 <= day < 7 and self.first_hour * 60 <= minutes <= self.last_hour * 60:
                y = self.y_of(minutes)
                x = geo.column_x(day)
                p.setPen(QPen(QColor(theme.NOW_COLOR), 2))
                p.drawLine(int(x), int(y), int(x + cw), int(y))
                p.setBrush(QColor(theme.NOW_COLOR))
                p.drawEllipse(QRectF(x - 4, y - 4, 8, 8))
        p.end()

    def target_at(self, pos: QPoint) -> Target | None:
        frame = self.frame()
        day = _Geometry(self.width()).day_at(pos.x())
        if day is None:
            return None
        point = pos.toPointF()
        for block in reversed(frame.by_day[day]):
            if block.rect.contains(point):
                return block.target
        return None


def _legend_chip(color: str, text: str, dot: bool = False) -> QLabel:
    shape = "●" if dot else "■"
    label = QLabel(f'<span style="color:{color}; font-size:14px;">{shape}</span>&nbsp;{text}')
    label.setObjectName("legend")
    return label


class WeekCalendarView(QWidget):
    """Week navigation, legend, day header and the scrolling hours canvas.

    The week is read and laid out on a worker (``runner``, a :class:`QueryRunner`); the view keeps showing what it
    has until the result lands, and a newer request (the next week, fresh news) supersedes an older one.

    Signals:
        appointment_clicked(str): an appointment of ours was clicked (its id).
        appointment_context_menu_requested(str, QPoint): right-click on one of ours (its id, the global position);
            the window builds the menu.
        week_shown(date): a read week landed and is drawn (its Monday).
    """

    appointment_clicked = Signal(str)
    appointment_context_menu_requested = Signal(str, QPoint)
    week_shown = Signal(object)

    def __init__(self, weeks: Appointments, zone: ZoneInfo, now: Callable[[], datetime],
                 calendar_labels: Mapping[str, str] | None = None, runner: QueryRunner | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.weeks = weeks  # reads a week (Appointments.week)
        self.zone = zone
        self.calendar_labels = dict(calendar_labels or {})
        self._now = now
        self.runner = runner or QueryRunner(self)
        first_day = week_start(self.today())
        self.state = _State(first_day=first_day, layout=WeekLayout(first_day))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        nav = QHBoxLayout()
        nav.setSpacing(6)
        title = QLabel("Week")
        title.setObjectName("panelTitle")
        self.prev_button = QPushButton("‹")
        self.prev_button.setToolTip("Previous week")
        self.today_button = QPushButton("Today")
        self.next_button = QPushButton("›")
        self.next_button.setToolTip("Next week")
        for b in (self.prev_button, self.next_button):
            b.setObjectName("navArrow")
            b.setFixedWidth(34)
        self.title_label = QLabel()
        self.title_label.setObjectName("weekTitle")
        self.loading_label = QLabel("Loading…")
        self.loading_label.setObjectName("muted")
        self.loading_label.hide()
        nav.addWidget(title)
        nav.addSpacing(8)
        nav.addWidget(self.prev_button)
        nav.addWidget(self.today_button)
        nav.addWidget(self.next_button)
        nav.addSpacing(8)
        nav.addWidget(self.title_label)
        nav.addWidget(self.loading_label)
        nav.addStretch(1)
        layout.addLayout(nav)
        self.legend = QHBoxLayout()
        self.legend.setSpacing(10)
        layout.addLayout(self.legend)

        frame = QFrame()
        frame.setObjectName("calendarFrame")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        fl = QVBoxLayout(frame)
        fl.setContentsMargins(1, 1, 1, 1)
        fl.setSpacing(0)
        self.header = _DayHeader(self.state, self.tooltip_of)
        self.canvas = WeekCanvas(self.state, self.tooltip_of)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.canvas)
        self.header.right_margin = self.scroll.verticalScrollBar().sizeHint().width()
        fl.addWidget(self.header)
        fl.addWidget(self.scroll, 1)
        layout.addWidget(frame, 1)
        self._build_legend()

        self.prev_button.clicked.connect(lambda: self.show_week(self.state.first_day - timedelta(days=7)))
        self.next_button.clicked.connect(lambda: self.show_week(self.state.first_day + timedelta(days=7)))
        self.today_button.clicked.connect(lambda: self.show_week(week_start(self.today())))
        self.canvas.item_clicked.connect(self._clicked)
        self.header.item_clicked.connect(self._clicked)
        for widget in (self.canvas, self.header):
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            widget.customContextMenuRequested.connect(
                lambda pos, widget=widget: self._context_menu(widget, pos))

    def _build_legend(self) -> None:
        self.legend.addWidget(_legend_chip(theme.APPOINTMENT_COLOR, "Our bookings"))
        seen = set()
        for key, label in self.calendar_labels.items():
            kind = key.split(":", 1)[0]
            if kind in seen:
                continue
            seen.add(kind)
            self.legend.addWidget(_legend_chip(theme.calendar_color(key).name(), label))
        dots = " ".join(f'<span style="color:{theme.SYNC_COLORS[s]};">●</span>&nbsp;{s.label}' for s in SyncState)
        sync = QLabel("Sync: " + dots)
        sync.setObjectName("legend")
        sync.setToolTip("Dots on a booking: its sync state with each calendar, in the sync table's column order")
        self.legend.addStretch(1)
        self.legend.addWidget(sync)

    # --- data -----------------------------------------------------------------------------------------------------

    def today(self) -> date:
        return self._now().astimezone(self.zone).date()

    @property
    def first_day(self) -> date:
        return self.state.first_day

    @property
    def items(self) -> list[CalendarItem]:
        """The items drawn (those folded into "+N more" chips are in :attr:`chips`)."""
        return list(self.state.layout.items)

    @property
    def chips(self) -> list[MoreChip]:
        return list(self.state.layout.chips)

    def tooltip_of(self, target: Target) -> str:
        if isinstance(target, MoreChip):
            return chip_tooltip(target)
        return item_tooltip(target, self.zone, self.calendar_labels)

    def show_week(self, first_day: date) -> None:
        """Go to ``first_day``'s week: its empty grid at once, "Loading…" until its items land."""
        first_day = week_start(first_day)
        if first_day != self.state.first_day:
            self.state.first_day, self.state.layout = first_day, WeekLayout(first_day)
            self.loading_label.show()
            self.header.refresh()
            self.canvas.refresh()
        self.refresh()

    def refresh(self) -> None:
        """Ask for the shown week: read and laid out on a worker, drawn when it lands (``week_shown``). A week that
        comes back as it is shown (news about a booking elsewhere) is not drawn again."""
        first_day = self.state.first_day
        self.title_label.setText(week_title(first_day))
        self.tick()
        weeks, zone, shown = self.weeks, self.zone, self.state.layout

        def read() -> WeekLayout:
            layout = read_week_layout(weeks, first_day, zone)
            return shown if layout == shown else layout

        self.runner.run("week", read, self._week_read)

    def _week_read(self, layout: WeekLayout) -> None:
        self.loading_label.hide()
        if layout is not self.state.layout:
            self.state.layout = layout
            self.header.refresh()
            self.canvas.refresh()
        self.week_shown.emit(layout.first_day)

    def tick(self) -> None:
        """Move the "now" line and today's highlight (the main window calls this every minute)."""
        now = self._now().astimezone(self.zone)
        self.state.now_local, self.state.today = now, now.date()
        self.today_button.setEnabled(week_start(now.date()) != self.state.first_day)
        self.header.update()
        self.canvas.update()

    def scroll_to_hour(self, hour: int) -> None:
        self.scroll.verticalScrollBar().setValue(int(self.canvas.y_of(hour * 60)) - 4)

    def _clicked(self, item: CalendarItem) -> None:
        if item.kind in ("appointment", "cancelled"):
            self.appointment_clicked.emit(item.key)

    def _context_menu(self, widget: QWidget, pos: QPoint) -> None:
        item = widget.target_at(pos)
        if isinstance(item, CalendarItem) and item.kind == "appointment":
            self.appointment_context_menu_requested.emit(item.key, widget.mapToGlobal(pos))


def read_week_layout(weeks: Appointments, first_day: date, zone: ZoneInfo) -> WeekLayout:
    """The week's query and its layout: no widgets, so it runs on a worker thread."""
    return cap_lanes(first_day, layout_week(weeks.week(first_day), first_day, zone))


__all__ = ["CalendarItem", "MoreChip", "WeekCalendarView", "WeekCanvas", "WeekLayout", "assign_lanes", "cap_lanes",
           "chip_tooltip", "item_tooltip", "layout_week", "read_week_layout", "week_start", "week_title"]
