"""A week calendar (Mon–Sun, location time) merging our appointments with the connected calendars' events.

``layout_week`` turns a :class:`WeekView` into :class:`CalendarItem` rows (day column, minutes, lane) without any
widget, so tests check what will be drawn without reading pixels; the widgets only map items to rectangles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_phone, format_range, format_time
from receptionist.domain.models import SyncState
from receptionist.services import ConsoleService, WeekView
from receptionist.ui import theme

DAY_START_HOUR = 7
DAY_END_HOUR = 20


@dataclass(frozen=True)
class CalendarItem:
    """One block to draw. Times are local wall times in the location zone, clipped to the item's day."""

    kind: str  # "appointment" (ours) or "external"
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
    tooltip: str = ""

    @property
    def start_minutes(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minutes(self) -> int:
        """Minutes after the day's midnight (1440 when it runs to the end of the day)."""
        if self.end.date() > self.start.date():
            return 24 * 60
        return self.end.hour * 60 + self.end.minute


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


def _replace(item: CalendarItem, **changes) -> CalendarItem:
    return replace(item, **changes)


def layout_week(week: WeekView, first_day: date, zone: ZoneInfo,
                calendar_labels: Mapping[str, str] | None = None) -> list[CalendarItem]:
    """Everything to draw for one week: all-day items (lane = row in the top strip) and timed items in lanes."""
    labels = dict(calendar_labels or {})
    timed: list[CalendarItem] = []
    all_day: list[CalendarItem] = []
    for appt in week.appointments:
        start, end = appt.start.astimezone(zone), appt.end.astimezone(zone)
        sync = tuple((link.calendar, link.state) for link in appt.links)
        lines = [f"{appt.service or 'Appointment'} — {appt.caller_name or 'Unknown caller'}",
                 format_range(appt.start, appt.end, zone)]
        if appt.callback_number:
            lines.append(format_phone(appt.callback_number))
        for cal, state in sync:
            lines.append(f"{labels.get(cal, cal)}: {state.label}")
        tip = "\n".join(lines)
        for day, s, e in _day_segments(start, end, first_day, zone):
            timed.append(CalendarItem("appointment", appt.id, f"{appt.service or 'Appointment'} — "
                                      f"{appt.caller_name or 'Unknown caller'}", day, s, e, sync=sync, tooltip=tip))
    for ev in week.external:
        label = labels.get(ev.calendar, ev.calendar)
        if ev.all_day:
            first, last = _all_day_dates(ev.start, ev.end, zone)
            tip = f"{ev.title}\nAll day · {label}" + ("" if ev.busy else " · free")
            d = first
            while d <= last:
                index = (d - first_day).days
                if 0 <= index < 7:
                    midnight = datetime.combine(d, time(0), zone)
                    all_day.append(CalendarItem("external", f"{ev.calendar}/{ev.remote_id}", ev.title, index,
                                                midnight, midnight + timedelta(days=1), calendar=ev.calendar,
                                                all_day=True, tooltip=tip))
                d += timedelta(days=1)
            continue
        start, end = ev.start.astimezone(zone), ev.end.astimezone(zone)
        tip = f"{ev.title}\n{format_range(ev.start, ev.end, zone)}\n{label}" + ("" if ev.busy else " · free")
        for day, s, e in _day_segments(start, end, first_day, zone):
            timed.append(CalendarItem("external", f"{ev.calendar}/{ev.remote_id}", ev.title, day, s, e,
                                      calendar=ev.calendar, tooltip=tip))
    out: list[CalendarItem] = []
    for day in range(7):
        out.extend(assign_lanes([i for i in timed if i.day == day]))
        rows = sorted((i for i in all_day if i.day == day), key=lambda i: (i.calendar or "", i.title))
        out.extend(_replace(item, lane=n, lanes=len(rows)) for n, item in enumerate(rows))
    return out


def item_color(item: CalendarItem) -> QColor:
    return QColor(theme.APPOINTMENT_COLOR) if item.kind == "appointment" else theme.calendar_color(item.calendar or "")


@dataclass
class _Geometry:
    """Shared by the header and the body so their columns line up."""

    width: int
    gutter: int = 56

    def column_width(self) -> float:
        return max(40.0, (self.width - self.gutter) / 7)

    def column_x(self, day: int) -> float:
        return self.gutter + day * self.column_width()


@dataclass
class _State:
    first_day: date
    items: list[CalendarItem] = field(default_factory=list)
    today: date | None = None
    now_local: datetime | None = None


class _ItemTooltips:
    """Tooltips for painted items: a widget mixing this in provides ``item_at(pos)``."""

    def item_at(self, pos: QPoint) -> CalendarItem | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            item = self.item_at(event.pos())
            if item is not None:
                QToolTip.showText(event.globalPos(), item.tooltip, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)  # type: ignore[misc]


class _DayHeader(_ItemTooltips, QWidget):
    """Day names and the all-day strip; stays put while the hours scroll."""

    ROW = 20

    def __init__(self, state: _State, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.right_margin = 0
        self.setMouseTracking(True)
        self._rects: list[tuple[QRectF, CalendarItem]] = []

    def _rows(self) -> int:
        return max((i.lanes for i in self.state.items if i.all_day), default=0)

    def sizeHint(self) -> QSize:
        return QSize(600, self.minimumSizeHint().height())

    def minimumSizeHint(self) -> QSize:
        rows = self._rows()
        return QSize(300, 30 + (rows * (self.ROW + 2) + 6 if rows else 0))

    def refresh(self) -> None:
        self.setFixedHeight(self.minimumSizeHint().height())
        self.update()

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
            p.setPen(QPen(QColor("#e2e8f0")))
            p.drawLine(int(x), 0, int(x), self.height())
        p.setFont(self.font())
        rows = self._rows()
        if rows:
            p.setPen(QColor("#64748b"))
            small = QFont(self.font())
            small.setPointSizeF(self.font().pointSizeF() * 0.85)
            p.setFont(small)
            p.drawText(QRectF(0, 30, geo.gutter - 6, self.ROW), Qt.AlignmentFlag.AlignRight
                       | Qt.AlignmentFlag.AlignVCenter, "all day")
        self._rects = []
        fm = QFontMetrics(p.font())
        for item in self.state.items:
            if not item.all_day:
                continue
            rect = QRectF(geo.column_x(item.day) + 2, 31 + item.lane * (self.ROW + 2), cw - 4, self.ROW)
            color = item_color(item)
            fill = QColor(color)
            fill.setAlpha(45)
            p.setPen(QPen(color, 1))
            p.setBrush(fill)
            p.drawRoundedRect(rect, 3, 3)
            p.setPen(color.darker(140))
            p.drawText(rect.adjusted(5, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(item.title, Qt.TextElideMode.ElideRight, int(rect.width() - 8)))
            self._rects.append((rect, item))
        p.setPen(QPen(QColor("#cbd5e1")))
        p.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        p.end()

    def item_at(self, pos: QPoint) -> CalendarItem | None:
        for rect, item in self._rects:
            if rect.contains(pos.toPointF()):
                return item
        return None



class WeekCanvas(_ItemTooltips, QWidget):
    """The hours grid with timed items in lanes and the "now" line.

    Signals:
        item_clicked(CalendarItem)
    """

    item_clicked = Signal(object)
    TOP = 10  # room for the first hour's label

    def __init__(self, state: _State, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.first_hour = DAY_START_HOUR
        self.last_hour = DAY_END_HOUR
        self.min_hour_height = 36
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._rects: list[tuple[QRectF, CalendarItem]] = []

    def refresh(self) -> None:
        timed = [i for i in self.state.items if not i.all_day]
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

    def item_rects(self) -> list[tuple[QRectF, CalendarItem]]:
        """Where each timed item is drawn at the current size."""
        geo = _Geometry(self.width())
        cw = geo.column_width()
        out = []
        for item in self.state.items:
            if item.all_day:
                continue
            lane_w = (cw - 6) / item.lanes
            x = geo.column_x(item.day) + 3 + item.lane * lane_w
            top = self.y_of(item.start_minutes)
            bottom = max(top + 16, self.y_of(item.end_minutes))
            out.append((QRectF(x, top, lane_w - 2, bottom - top - 1), item))
        return out

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        geo = _Geometry(self.width())
        cw = geo.column_width()
        p.fillRect(self.rect(), QColor("#ffffff"))
        # business hours shading and today's column
        for day in range(7):
            d = self.state.first_day + timedelta(days=day)
            x = geo.column_x(day)
            if d == self.state.today:
                p.fillRect(QRectF(x, 0, cw, self.height()), QColor("#f0f7ff"))
            elif d.weekday() >= 5:
                p.fillRect(QRectF(x, 0, cw, self.height()), QColor("#fafafa"))
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        p.setFont(small)
        for hour in range(self.first_hour, self.last_hour + 1):
            y = self.y_of(hour * 60)
            p.setPen(QPen(QColor("#e2e8f0")))
            p.drawLine(int(geo.gutter), int(y), self.width(), int(y))
            if hour < self.last_hour:
                half = self.y_of(hour * 60 + 30)
                p.setPen(QPen(QColor("#f1f5f9"), 1, Qt.PenStyle.DotLine))
                p.drawLine(int(geo.gutter), int(half), self.width(), int(half))
            p.setPen(QColor("#64748b"))
            label = format_time(datetime(2000, 1, 1, hour % 24, tzinfo=timezone.utc), timezone.utc).replace(":00", "")
            p.drawText(QRectF(0, y - 8, geo.gutter - 8, 16), Qt.AlignmentFlag.AlignRight
                       | Qt.AlignmentFlag.AlignVCenter, label)
        p.setPen(QPen(QColor("#e2e8f0")))
        for day in range(8):
            x = int(geo.column_x(day))
            p.drawLine(x, 0, x, self.height())

        self._rects = self.item_rects()
        fm = QFontMetrics(small)
        for rect, item in self._rects:
            color = item_color(item)
            ours = item.kind == "appointment"
            fill = QColor(color)
            if not ours:
                fill.setAlpha(40)
            p.setPen(QPen(color.darker(115), 1))
            p.setBrush(fill)
            p.drawRoundedRect(rect, 4, 4)
            if not ours:
                p.fillRect(QRectF(rect.left(), rect.top(), 3, rect.height()), color)
            text_color = QColor("#ffffff") if ours else color.darker(160)
            p.setPen(text_color)
            inner = rect.adjusted(6, 2, -4, -2)
            dots_w = 0
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
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor("#ffffff"))
                p.drawRoundedRect(pill, 5, 5)
                for n, (_cal, state) in enumerate(item.sync):
                    p.setBrush(theme.sync_color(state))
                    if vertical:
                        p.drawEllipse(QRectF(pill.left() + 1, pill.top() + 2 + n * 10, 8, 8))
                    else:
                        p.drawEllipse(QRectF(pill.left() + 3 + n * 10, pill.top() + 2, 8, 8))
                p.setPen(text_color)
            title_rect = QRectF(inner.left(), inner.top(), inner.width() - dots_w, fm.height())
            p.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                       fm.elidedText(item.title, Qt.TextElideMode.ElideRight, int(title_rect.width())))
            if inner.height() >= fm.height() * 2:
                when = f"{format_time(item.start, item.start.tzinfo)} – {format_time(item.end, item.end.tzinfo)}"
                p.drawText(QRectF(inner.left(), inner.top() + fm.height(), inner.width(), fm.height()),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                           fm.elidedText(when, Qt.TextElideMode.ElideRight, int(inner.width())))

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

    def item_at(self, pos: QPoint) -> CalendarItem | None:
        for rect, item in reversed(self.item_rects()):
            if rect.contains(pos.toPointF()):
                return item
        return None


    def mousePressEvent(self, event: QMouseEvent) -> None:
        item = self.item_at(event.position().toPoint())
        if item is not None:
            self.item_clicked.emit(item)
        super().mousePressEvent(event)


def _legend_chip(color: str, text: str, dot: bool = False) -> QLabel:
    shape = "●" if dot else "■"
    label = QLabel(f'<span style="color:{color}; font-size:14px;">{shape}</span>&nbsp;{text}')
    label.setObjectName("legend")
    return label


class WeekCalendarView(QWidget):
    """Week navigation, legend, day header and the scrolling hours canvas.

    Signals:
        appointment_clicked(str): an appointment of ours was clicked (its id).
        appointment_context_menu_requested(str, QPoint): right-click on one of ours (its id, the global position);
            the window builds the menu.
    """

    appointment_clicked = Signal(str)
    appointment_context_menu_requested = Signal(str, QPoint)

    def __init__(self, service: ConsoleService, calendar_labels: Mapping[str, str] | None = None,
                 now: Callable[[], datetime] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.zone = service.rules.zone
        self.calendar_labels = dict(calendar_labels or {})
        self._now = now or service.clock
        self.state = _State(first_day=week_start(self.today()))
        self.week: WeekView | None = None

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
        nav.addWidget(title)
        nav.addSpacing(8)
        nav.addWidget(self.prev_button)
        nav.addWidget(self.today_button)
        nav.addWidget(self.next_button)
        nav.addSpacing(8)
        nav.addWidget(self.title_label)
        nav.addStretch(1)
        layout.addLayout(nav)
        self.legend = QHBoxLayout()
        self.legend.setSpacing(14)
        layout.addLayout(self.legend)

        frame = QFrame()
        frame.setObjectName("calendarFrame")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        fl = QVBoxLayout(frame)
        fl.setContentsMargins(1, 1, 1, 1)
        fl.setSpacing(0)
        self.header = _DayHeader(self.state)
        self.canvas = WeekCanvas(self.state)
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
        sync = QLabel("Sync dots: " + dots)
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
        """What is drawn (computed layout), for tests and tooltips."""
        return list(self.state.items)

    def show_week(self, first_day: date) -> None:
        self.state.first_day = week_start(first_day)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the shown week (a quick local query) and redraw."""
        self.week = self.service.week(self.state.first_day)
        self.state.items = layout_week(self.week, self.state.first_day, self.zone, self.calendar_labels)
        self.title_label.setText(week_title(self.state.first_day))
        self.tick()
        self.header.refresh()
        self.canvas.refresh()

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
        if item.kind == "appointment":
            self.appointment_clicked.emit(item.key)

    def _context_menu(self, widget: QWidget, pos: QPoint) -> None:
        find = getattr(widget, "item_at", None) or getattr(widget, "target_at")
        item = find(pos)
        if getattr(item, "kind", None) == "appointment":
            self.appointment_context_menu_requested.emit(item.key, widget.mapToGlobal(pos))


__all__ = ["CalendarItem", "WeekCalendarView", "WeekCanvas", "assign_lanes", "layout_week", "week_start",
           "week_title"]
