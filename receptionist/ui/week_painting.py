"""Painting a laid-out week: the column geometry the day header and the hours canvas share, the frame of blocks
(rectangles, colours, elided text) built once per (layout, size), and the two widgets that paint it — the all-day
:class:`DayHeader` and the scrolling :class:`WeekCanvas`. The canvas renders its frame into a pixmap once; each
paint copies the exposed part of it and draws the "now" line on top. Tooltips and "+N more" menus are made on
hover and click, from :class:`WeekState` (the week shown, its layout, today and now), which the view owns.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
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
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolTip, QWidget

from receptionist.domain.models import SyncState
from receptionist.ui import theme
from receptionist.ui.week_input import FOCUS_RING, CanvasInput
from receptionist.ui.week_keys import identity
from receptionist.ui.week_layout import CalendarItem, MoreChip, WeekLayout, bands_tooltip, clock_label, one_line

DAY_START_HOUR = 7
DAY_END_HOUR = 20

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


WEEK = tuple(range(7))


@dataclass
class _Geometry:
    """Shared by the header and the body so their columns line up: one column per shown day (the week's seven, or
    the one day of the day view)."""

    width: int
    days: tuple[int, ...] = WEEK
    gutter: int = 56

    def column_width(self) -> float:
        return max(40.0, (self.width - self.gutter) / len(self.days))

    def column_x(self, day: int) -> float:
        return self.gutter + (day - self.days[0]) * self.column_width()

    def day_at(self, x: float) -> int | None:
        column = math.floor((x - self.gutter) / self.column_width())
        return self.days[column] if 0 <= column < len(self.days) else None


@dataclass
class WeekState:
    """What the header and the canvas show: the week, its layout, which of its days (all seven, or one), today and
    now, and the block the keyboard is on."""

    first_day: date
    layout: WeekLayout
    today: date | None = None
    now_local: datetime | None = None
    days: tuple[int, ...] = WEEK
    focused: "Target | None" = None
    zone: tzinfo | None = None  # the location's: a click on free time is a wall time there

    def geometry(self, width: int) -> "_Geometry":
        return _Geometry(width, self.days)


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
    days: tuple[int, ...]
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
    """Tooltips written on hover: a widget mixing this in provides ``target_at(pos)`` and ``describe(target)``, and
    may say something of what lies behind the items (``hover_text``: the on-call bands)."""

    target_at: Callable[[QPoint], Target | None]
    describe: Callable[[Target], str]

    def hover_text(self, _pos: QPoint) -> str | None:
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            target = self.target_at(event.pos())
            text = self.describe(target) if target is not None else self.hover_text(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
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
            action = menu.addAction(one_line(item))
            action.triggered.connect(lambda _checked=False, item=item: self.item_clicked.emit(item))
        if self.more_menu is not None:
            self.more_menu.deleteLater()
        self.more_menu = menu
        menu.popup(at)
        return menu


class DayHeader(_Tooltips, _MoreMenus, QWidget):
    """Day names and the all-day strip; stays put while the hours scroll.

    Signals:
        item_clicked(CalendarItem)
    """

    item_clicked = Signal(object)
    ROW = 20

    def __init__(self, state: WeekState, describe: Callable[[Target], str], parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.describe = describe
        self.right_margin = 0
        self.keyboard: QWidget | None = None  # the grid whose keyboard focus reaches this strip's blocks
        self.more_menu: QMenu | None = None
        self.setMouseTracking(True)
        self._frame: tuple[WeekLayout, int, tuple[int, ...], list[_Block]] | None = None
        self._elider: _Elider | None = None

    def _rows(self) -> int:
        layout = self.state.layout
        return max([i.lanes for i in layout.items if i.all_day] + [c.lanes for c in layout.chips if c.all_day],
                   default=0)

    def sizeHint(self) -> QSize:
        return QSize(600, self.minimumSizeHint().height())

    def minimumSizeHint(self) -> QSize:
        rows = self._rows()
        return QSize(300, 30 + self._column_row() + (rows * (self.ROW + 2) + 6 if rows else 0))

    def _column_row(self) -> int:
        """The height of the resource columns' names under the day's (the day view of a location with resources)."""
        return self.ROW if len(self.state.days) == 1 and self.state.layout.columns else 0

    def refresh(self) -> None:
        self.setFixedHeight(self.minimumSizeHint().height())
        self.update()

    def _small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        return small

    def blocks(self) -> list[_Block]:
        """The all-day strip's blocks for the current layout and width (worked out once for both)."""
        frame, days = self._frame, self.state.days
        if frame is not None and frame[0] is self.state.layout and frame[1] == self.width() and frame[2] == days:
            return frame[3]
        geo = self.state.geometry(self.width() - self.right_margin)
        cw = geo.column_width()
        if self._elider is None or self._elider.font_key != self.font().key():
            self._elider = _Elider(self.font())
        elide, fm = self._elider, self._elider.metrics
        blocks = []
        targets: list[Target] = [i for i in self.state.layout.items if i.all_day and i.day in days]
        targets += [c for c in self.state.layout.chips if c.all_day and c.day in days]
        for target in targets:
            rect = QRectF(geo.column_x(target.day) + 2, 31 + self._column_row() + target.lane * (self.ROW + 2),
                          cw - 4, self.ROW)
            if isinstance(target, MoreChip):
                color, text = CHIP_COLOR, target.text
            else:
                color, text = item_color(target), target.title
            fill = QColor(color)
            fill.setAlpha(45)
            baseline = rect.top() + (rect.height() + fm.ascent() - fm.descent()) / 2
            blocks.append(_Block(rect, target, color, fill, color.darker(140), elide(text, rect.width() - 8),
                                 QPointF(rect.left() + 5, baseline)))
        self._frame = (self.state.layout, self.width(), days, blocks)
        return blocks

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        geo = self.state.geometry(self.width() - self.right_margin)
        cw = geo.column_width()
        p.fillRect(self.rect(), QColor("#ffffff"))
        bold = QFont(self.font())
        bold.setBold(True)
        for day in self.state.days:
            d = self.state.first_day + timedelta(days=day)
            x = geo.column_x(day)
            cell = QRectF(x, 0, cw, 28)
            if d == self.state.today:
                p.fillRect(cell, QColor("#dbeafe"))
            p.setFont(bold if d == self.state.today else self.font())
            p.setPen(QColor("#1d4ed8" if d == self.state.today else "#334155"))
            name = f"{d:%A}" if len(self.state.days) == 1 else f"{d:%a}"
            p.drawText(cell, Qt.AlignmentFlag.AlignCenter, f"{name} {d.month}/{d.day}")
        p.setFont(self.font())
        if self._column_row():
            self._paint_columns(p, geo)
        if self._rows():
            p.setPen(QColor("#64748b"))
            p.setFont(self._small_font())
            p.drawText(QRectF(0, 30 + self._column_row(), geo.gutter - 6, self.ROW), Qt.AlignmentFlag.AlignRight
                       | Qt.AlignmentFlag.AlignVCenter, "all day")
            p.setFont(self.font())
        for block in self.blocks():
            p.setPen(QPen(block.border, 1))
            p.setBrush(block.fill)
            p.drawRoundedRect(block.rect, 3, 3)
            p.setPen(block.text_color)
            p.drawText(block.title_at, block.title)
        self._paint_ring(p)
        p.setPen(QPen(QColor("#cbd5e1")))
        p.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        p.end()

    def target_at(self, pos: QPoint) -> Target | None:
        for block in self.blocks():
            if block.rect.contains(pos.toPointF()):
                return block.target
        return None

    def _paint_ring(self, p: QPainter) -> None:
        """The keyboard's ring on an all-day block while the grid has the keyboard (``CanvasInput.strip``)."""
        if self.keyboard is None or not self.keyboard.hasFocus() or self.state.focused is None:
            return
        rect = next((b.rect for b in self.blocks() if identity(b.target) == identity(self.state.focused)), None)
        if rect is not None:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor("#ffffff"), 1))
            p.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 4, 4)
            p.setPen(QPen(FOCUS_RING, 2))
            p.drawRoundedRect(rect.adjusted(-2, -2, 2, 2), 4, 4)

    def _paint_columns(self, p: QPainter, geo: "_Geometry") -> None:
        """The resource columns' names over the day view's columns (``WeekLayout.columns``)."""
        columns = self.state.layout.columns
        width = geo.column_width() / len(columns)
        p.setFont(self._small_font())
        p.setPen(QColor("#475569"))
        left = geo.column_x(self.state.days[0])
        for n, name in enumerate(columns):
            box = QRectF(left + n * width, 28, width, self.ROW)
            p.drawText(box.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignCenter,
                       p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(box.width()) - 8))
        p.setFont(self.font())


class WeekCanvas(_Tooltips, CanvasInput, _MoreMenus, QWidget):
    """The hours grid with timed items in lanes, "+N more" chips and the "now" line, for the shown days (the week's
    seven or one); the keyboard and drag of :class:`~receptionist.ui.week_input.CanvasInput`.

    Rectangles, colours, elided titles and time labels are worked out by :meth:`frame` once per (layout, size,
    days) and rendered by :meth:`backdrop` into a pixmap; a paint copies the exposed rectangle of it and adds the
    "now" line, the focus ring, a dragged booking's landing place and a swept range's rubber band.

    Signals:
        item_clicked(CalendarItem); item_activated(CalendarItem): Enter or a double-click;
        menu_requested(CalendarItem, QPoint): the menu key; focus_moved(QRect): the focused block;
        move_requested(str, datetime, int | None, str | None): one of ours dropped at a new local start (and a
            resource column's resource), or its bottom edge dragged (its own start, the new length in minutes);
        slot_requested(datetime, int | None, str | None): a click on free time at its local quarter hour, or a range
            swept there (its length), with the resource of the column it was made in
    """

    item_clicked = Signal(object)
    item_activated = Signal(object)
    menu_requested = Signal(object, QPoint)
    focus_moved = Signal(QRect)
    move_requested = Signal(str, object, object, object)
    slot_requested = Signal(object, object, object)
    TOP = 10  # room for the first hour's label

    def __init__(self, state: WeekState, describe: Callable[[Target], str], parent: QWidget | None = None):
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
        self._init_input()

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
        if (frame is not None and frame.layout is self.state.layout and frame.size == self.size()
                and frame.days == self.state.days):
            return frame
        self._frame = frame = self._build_frame()
        return frame

    def _build_frame(self) -> _Frame:
        days = self.state.days
        geo = self.state.geometry(self.width())
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
        targets: list[Target] = [i for i in self.state.layout.items if not i.all_day and i.day in days]
        targets += [c for c in self.state.layout.chips if not c.all_day and c.day in days]
        for target in targets:
            lane_w = (cw - 6) / target.lanes
            x = geo.column_x(target.day) + 3 + target.lane * lane_w
            top = y_of(target.start_minutes)
            bottom = max(top + 16, y_of(target.end_minutes))
            rect = QRectF(x, top, lane_w * target.span - 2, bottom - top - 1)
            inner = rect.adjusted(6, 2, -4, -2)
            title_at = QPointF(inner.left(), inner.top() + ascent)
            if isinstance(target, MoreChip):
                by_day[target.day].append(_Block(rect, target, CHIP_COLOR, CHIP_FILL, CHIP_COLOR,
                                                 elide(target.text, inner.width()), title_at))
                continue
            block = self._item_block(target, rect, inner, elide, title_at)
            if inner.height() >= line * 2:
                block.when = elide(f"{target.time_label} · {target.mark}" if target.mark else target.time_label,
                                   inner.width())
                block.when_at = QPointF(inner.left(), inner.top() + line + ascent)
            by_day[target.day].append(block)
        return _Frame(self.state.layout, self.size(), days, hour_lines, half_lines, by_day)

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
        # the attendance glyph first, so even a narrow or short block says whether the caller came
        title = f"{item.mark.split(' ', 1)[0]} {item.title}" if item.mark else item.title
        return _Block(rect, item, border, fill, text_color, elide(title, inner.width() - dots_w),
                      title_at, pill=pill, dots=tuple(dots))

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
        geo = _Geometry(frame.size.width(), frame.days)
        cw, height, width = geo.column_width(), frame.size.height(), frame.size.width()
        for day in frame.days:  # today's column and the weekend
            d = self.state.first_day + timedelta(days=day)
            x = geo.column_x(day)
            if d == self.state.today:
                p.fillRect(QRectF(x, 0, cw, height), QColor("#f0f7ff"))
            elif d.weekday() >= 5:
                p.fillRect(QRectF(x, 0, cw, height), QColor("#fafafa"))
        p.setFont(self._small_font())
        self._paint_on_call(p, geo, frame)
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
        for day in (*frame.days, frame.days[-1] + 1):
            x = int(geo.column_x(day))
            p.drawLine(x, 0, x, height)
        columns = len(self.state.layout.columns) if len(frame.days) == 1 else 0
        for n in range(1, columns):  # the day view's resource columns
            x = int(geo.column_x(frame.days[0]) + n * cw / columns)
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

    def _paint_on_call(self, p: QPainter, geo: "_Geometry", frame: _Frame) -> None:
        """Who is on call, behind the bookings: each shift's band over the hours it covers in its day's column, a
        stripe down its left edge and "On call: <person>" (or the name alone) at its top (where a shift starts, or
        the grid's top)."""
        color, top_limit = QColor(theme.ON_CALL_COLOR), self.y_of(self.first_hour * 60)
        bottom_limit = self.y_of(self.last_hour * 60)
        elide = self._elider
        for band in self.state.layout.bands:
            if band.day not in frame.days:
                continue
            top = max(top_limit, self.y_of(band.start_minutes))
            bottom = min(bottom_limit, self.y_of(band.end_minutes))
            if bottom <= top:
                continue
            x, width = geo.column_x(band.day), geo.column_width()
            p.fillRect(QRectF(x + 1, top, width - 1, bottom - top), QColor(theme.ON_CALL_FILL))
            p.fillRect(QRectF(x + 1, top, 3, bottom - top), color)
            if elide is not None and bottom - top >= elide.metrics.height():
                label = f"On call: {band.person}"  # a narrow column names the person alone (the legend says)
                if elide.metrics.horizontalAdvance(label) > width - 10:
                    label = band.person
                p.setPen(color)
                p.drawText(QPointF(x + 7, top + elide.metrics.ascent() + 1), elide(label, width - 10))

    def paintEvent(self, event: QPaintEvent) -> None:
        backdrop = self.backdrop()
        area = QRectF(event.rect())
        ratio = backdrop.devicePixelRatio()
        p = QPainter(self)
        p.drawPixmap(area, backdrop, QRectF(area.x() * ratio, area.y() * ratio,
                                            area.width() * ratio, area.height() * ratio))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        geo = self.state.geometry(self.width())
        cw = geo.column_width()

        # the "now" line across today's column
        now = self.state.now_local
        if now is not None and self.state.today is not None:
            day = (now.date() - self.state.first_day).days
            minutes = now.hour * 60 + now.minute
            if day in self.state.days and self.first_hour * 60 <= minutes <= self.last_hour * 60:
                y = self.y_of(minutes)
                x = geo.column_x(day)
                p.setPen(QPen(QColor(theme.NOW_COLOR), 2))
                p.drawLine(int(x), int(y), int(x + cw), int(y))
                p.setBrush(QColor(theme.NOW_COLOR))
                p.drawEllipse(QRectF(x - 4, y - 4, 8, 8))
        self.paint_input(p)
        p.end()

    def hover_text(self, pos: QPoint) -> str | None:
        """Over free time: the on-call bands under the pointer (who, their phone, the shift's from and until)."""
        day = self.state.geometry(self.width()).day_at(pos.x())
        minutes = self.minutes_at(pos.y())
        bands = [b for b in self.state.layout.bands if b.day == day and b.start_minutes <= minutes < b.end_minutes
                 and self.first_hour * 60 <= minutes < self.last_hour * 60]
        if not bands:
            return None
        zone = self.state.zone or bands[0].start.tzinfo
        return bands_tooltip(bands, zone, self.state.layout.on_call)

    def target_at(self, pos: QPoint) -> Target | None:
        frame = self.frame()
        day = self.state.geometry(self.width()).day_at(pos.x())
        if day is None:
            return None
        point = pos.toPointF()
        for block in reversed(frame.by_day[day]):
            if block.rect.contains(point):
                return block.target
        return None


__all__ = ["DayHeader", "Target", "WeekCanvas", "WeekState", "item_color"]
