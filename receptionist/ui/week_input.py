"""The hours canvas's keyboard and mouse: the focus moves between bookings with the arrows, Tab, Home and End (a
ring marks it; its description is the canvas's accessible description), Enter opens the booking, the menu key (or
Shift+F10) opens its menu; dragging one of our bookings shows where it would go, on the grid's quarter hours, and
asks to move it there when dropped (in the day view's resource columns, onto that resource); dragging its bottom edge
(the pointer turns into a resize arrow there) asks for its new length; Esc cancels the drag. A click on free time
asks for a new booking there; a press on free time dragged sweeps a range (a rubber band, on the quarter hours) and
asks for a booking of that start and length — on the resource of the column pressed in.

:class:`CanvasInput` is mixed into :class:`~receptionist.ui.week_painting.WeekCanvas`, which provides the frame,
the geometry and the signals named below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from PySide6.QtCore import QEvent, QPoint, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QColor,
    QCursor,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
)
from PySide6.QtWidgets import QApplication, QToolTip

from receptionist.domain.models import AppointmentRow
from receptionist.ui import week_keys
from receptionist.ui.week_layout import CalendarItem, MoreChip, clock_label

SNAP_MINUTES = 15  # a dragged booking lands on the grid's quarter hours; a swept range and a new end snap too
EDGE_PX = 4  # this close to the bottom edge of one of ours, the pointer resizes it
FOCUS_RING = QColor("#0f172a")
GHOST = QColor("#0f766e")
GHOST_FILL = QColor("#ccfbf1")

_MOVES = {Qt.Key.Key_Up: week_keys.UP, Qt.Key.Key_Down: week_keys.DOWN, Qt.Key.Key_Left: week_keys.LEFT,
          Qt.Key.Key_Right: week_keys.RIGHT, Qt.Key.Key_Home: week_keys.FIRST, Qt.Key.Key_End: week_keys.LAST}


@dataclass
class _Drag:
    item: CalendarItem
    pressed_at: QPoint
    grab_minutes: float  # from the booking's start to where it was taken
    resize: bool = False  # taken by its bottom edge: the length changes, the start stays
    day: int | None = None  # where it would land; None until the pointer has moved far enough
    minutes: int = 0  # a move: the new start; a resize: the new end (minutes after the day's midnight)
    column: int | None = None  # the day view's resource column it would land in


@dataclass
class _Band:
    """A press on free time: a click books there; dragged, it sweeps a range (the rubber band) to book."""

    day: int
    column: int | None  # the resource column pressed in (the day view with resources)
    pressed_at: QPoint
    pressed_minutes: float
    start: int = 0  # the range swept, on the grid's step (minutes after the day's midnight)
    end: int = 0
    shown: bool = False  # dragged far enough to be a range


class CanvasInput:
    """Keyboard focus and dragging for the hours canvas (see the module's docstring)."""

    state: object  # WeekState
    describe: Callable
    item_activated: Signal  # CalendarItem: Enter or a double-click on it
    menu_requested: Signal  # (CalendarItem, QPoint): the menu key on one of ours; the global position
    focus_moved: Signal  # QRect: the focused block, to scroll into view
    move_requested: Signal  # (appointment id, local start, minutes or None, resource or None): a drop or resize
    slot_requested: Signal  # (local start, minutes or None, resource or None): a click or a range on free time

    def _init_input(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # type: ignore[attr-defined]
        self._drag: _Drag | None = None
        self._band: _Band | None = None  # a press on free time: a click there books it, a sweep books the range
        self.strip = None  # the DayHeader whose all-day blocks the keyboard reaches too (set by the calendar view)

    # --- focus ----------------------------------------------------------------------------------------------------

    def _all_blocks(self) -> list:
        """The grid's blocks and the all-day strip's (those first in a day's reading order: ``week_keys``)."""
        strip = self.strip.blocks() if self.strip is not None else []
        return self.frame().blocks() + strip  # type: ignore[attr-defined]

    def focus_targets(self) -> list:
        return [b.target for b in self._all_blocks()]

    def focused(self):
        """The block the keyboard is on, in the layout shown now (None if it is gone)."""
        return week_keys.find_again(self.focus_targets(), self.state.focused)  # type: ignore[attr-defined]

    def focused_rect(self) -> QRectF | None:
        """The focused block's rectangle on the grid (None when it is in the all-day strip: the strip rings it)."""
        target = self.focused()
        if target is None or target.all_day:
            return None
        return next(b.rect for b in self.frame().blocks() if b.target is target)  # type: ignore[attr-defined]

    def set_focused(self, target) -> None:
        self.state.focused = target  # type: ignore[attr-defined]
        description = self.describe(target).replace("\n", ". ") if target is not None else ""
        self.setAccessibleDescription(description)  # type: ignore[attr-defined]
        QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.DescriptionChanged))
        rect = self.focused_rect()
        if rect is not None:
            self.focus_moved.emit(rect.toAlignedRect())
        self.update()  # type: ignore[attr-defined]
        if self.strip is not None:
            self.strip.update()

    def move_focus(self, move: str) -> bool:
        target = week_keys.step(self.focus_targets(), self.focused(), move)
        if target is None:
            return False
        self.set_focused(target)
        return True

    def focusInEvent(self, event: QFocusEvent) -> None:
        reason = event.reason()
        if reason == Qt.FocusReason.BacktabFocusReason:
            self.move_focus(week_keys.LAST)
        elif reason == Qt.FocusReason.TabFocusReason or self.focused() is None:
            self.move_focus(week_keys.FIRST)
        else:
            self.set_focused(self.focused())
        super().focusInEvent(event)  # type: ignore[misc]

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()  # type: ignore[attr-defined]
        if self.strip is not None:
            self.strip.update()
        super().focusOutEvent(event)  # type: ignore[misc]

    def focusNextPrevChild(self, next_: bool) -> bool:
        """Tab and Shift+Tab walk the bookings, then leave the calendar past the first or last."""
        if self.hasFocus() and self.move_focus(week_keys.NEXT if next_ else week_keys.PREVIOUS):  # type: ignore
            return True
        return super().focusNextPrevChild(next_)  # type: ignore[misc]

    def event(self, event: QEvent) -> bool:
        """Esc while dragging or sweeping is the canvas's (it cancels), not a window shortcut's."""
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and (self._drag is not None or self._band is not None)):
            event.accept()
            return True
        return super().event(event)  # type: ignore[misc]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Escape and (self._drag is not None or self._band is not None):
            self.cancel_drag()
        elif key in _MOVES and not mods & ~Qt.KeyboardModifier.KeypadModifier:
            self.move_focus(_MOVES[key])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focused() is not None:
            self.activate(self.focused())
        elif (key == Qt.Key.Key_Menu or (key == Qt.Key.Key_F10 and mods & Qt.KeyboardModifier.ShiftModifier)) \
                and self.focused() is not None:
            self.open_menu(self.focused())
        else:
            super().keyPressEvent(event)  # type: ignore[misc]
            return
        event.accept()

    def _global_below(self, target) -> QPoint:
        widget = self.strip if target.all_day and self.strip is not None else self
        rect = next(b.rect for b in widget.blocks() if b.target is target) if widget is self.strip else \
            next(b.rect for b in self.frame().blocks() if b.target is target)  # type: ignore[attr-defined]
        return widget.mapToGlobal(rect.bottomLeft().toPoint())  # type: ignore[attr-defined]

    def activate(self, target) -> None:
        """Enter on a block: ours opens; a "+N more" chip lists what it holds; a calendar's event says what it is."""
        if isinstance(target, MoreChip):
            self.show_more(target, self._global_below(target))  # type: ignore[attr-defined]
        elif target.kind == "external":
            QToolTip.showText(self._global_below(target), self.describe(target), self)  # type: ignore[arg-type]
        else:
            self.item_activated.emit(target)

    def open_menu(self, target) -> None:
        if isinstance(target, MoreChip):
            self.show_more(target, self._global_below(target))  # type: ignore[attr-defined]
        elif target.kind == "appointment":
            self.menu_requested.emit(target, self._global_below(target))

    # --- the mouse: focus, open, drag, resize, a range of free time ----------------------------------------------

    def minutes_at(self, y: float) -> float:
        return self.first_hour * 60 + (y - self.TOP) / self.hour_height() * 60  # type: ignore[attr-defined]

    def resource_columns(self) -> tuple[str, ...]:
        """The day view's resource columns (the last one, ``Other``, takes no resource); none in the week view."""
        columns = self.state.layout.columns  # type: ignore[attr-defined]
        return columns if len(self.state.days) == 1 and columns else ()  # type: ignore[attr-defined]

    def column_at(self, x: float) -> int | None:
        """The resource column under ``x`` in the day view (None without resource columns)."""
        columns = self.resource_columns()
        if not columns:
            return None
        geo = self.state.geometry(self.width())  # type: ignore[attr-defined]
        n = math.floor((x - geo.column_x(self.state.days[0])) / (geo.column_width() / len(columns)))  # type: ignore
        return min(max(0, n), len(columns) - 1)

    def resource_of(self, column: int | None) -> str | None:
        """The resource a column stands for (None for ``Other``, or without resource columns)."""
        columns = self.resource_columns()
        return columns[column] if column is not None and column < len(columns) - 1 else None

    def resource_here(self) -> str | None:
        """The chair or room a new booking from the keyboard (N) takes in the day view's resource columns, as a sweep
        in that column does: the column of the focused booking (N books right after it), else the one under the
        mouse pointer; None in ``Other``, without resource columns, or with neither."""
        if not self.resource_columns():
            return None
        rect = self.focused_rect()
        if rect is not None:
            return self.resource_of(self.column_at(rect.center().x()))
        pointer = self.mapFromGlobal(QCursor.pos())  # type: ignore[attr-defined]
        if not self.visibleRegion().contains(pointer):  # type: ignore[attr-defined]
            return None
        return self.resource_of(self.column_at(pointer.x()))

    def _lane_box(self, day: int, column: int | None) -> tuple[float, float]:
        """(left, width) of a day's column, or of one of its resource columns."""
        geo = self.state.geometry(self.width())  # type: ignore[attr-defined]
        left, width = geo.column_x(day), geo.column_width()
        columns = self.resource_columns()
        if column is not None and columns:
            width /= len(columns)
            left += column * width
        return left + 3, width - 6

    def edge_at(self, pos: QPoint) -> CalendarItem | None:
        """One of our bookings whose bottom edge is under the pointer (taken there, it is resized)."""
        day = self.state.geometry(self.width()).day_at(pos.x())  # type: ignore[attr-defined]
        if day is None:
            return None
        for block in reversed(self.frame().by_day[day]):  # type: ignore[attr-defined]
            rect, target = block.rect, block.target
            if (isinstance(target, CalendarItem) and target.kind == "appointment" and rect.left() <= pos.x()
                    <= rect.right() and abs(pos.y() - rect.bottom()) <= EDGE_PX and _ends_here(target)):
                return target
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        left = event.button() == Qt.MouseButton.LeftButton
        edge = self.edge_at(pos) if left else None
        target = edge or self.target_at(pos)  # type: ignore[attr-defined]
        if target is not None:
            self.state.focused = target  # type: ignore[attr-defined]
        self._band = None
        if left and edge is not None:
            self._drag = _Drag(edge, pos, 0.0, resize=True, column=self.column_at(pos.x()))
        elif left and isinstance(target, CalendarItem) and target.kind == "appointment":
            self._drag = _Drag(target, pos, self.minutes_at(pos.y()) - target.start_minutes)
        elif left and target is None:
            day = self.state.geometry(self.width()).day_at(pos.x())  # type: ignore[attr-defined]
            if day is not None:
                self._band = _Band(day, self.column_at(pos.x()), pos, self.minutes_at(pos.y()))
        super().mousePressEvent(event)  # type: ignore[misc]

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        target = self.target_at(event.position().toPoint())  # type: ignore[attr-defined]
        if isinstance(target, CalendarItem) and target.kind in ("appointment", "cancelled"):
            self.item_activated.emit(target)
        super().mouseDoubleClickEvent(event)  # type: ignore[misc]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        pressed = bool(event.buttons() & Qt.MouseButton.LeftButton)
        drag, band = self._drag, self._band
        if drag is not None and pressed:
            if drag.day is not None or (pos - drag.pressed_at).manhattanLength() >= QApplication.startDragDistance():
                self._drag_to(drag, pos)
        elif band is not None and pressed:
            if band.shown or (pos - band.pressed_at).manhattanLength() >= QApplication.startDragDistance():
                self._band_to(band, pos)
        elif not pressed:  # hovering: the bottom edge of one of ours can be taken to resize it
            if self.edge_at(pos) is not None:
                self.setCursor(Qt.CursorShape.SizeVerCursor)  # type: ignore[attr-defined]
            elif self.cursor().shape() == Qt.CursorShape.SizeVerCursor:  # type: ignore[attr-defined]
                self.unsetCursor()  # type: ignore[attr-defined]
        super().mouseMoveEvent(event)  # type: ignore[misc]

    def _drag_to(self, drag: _Drag, pos: QPoint) -> None:
        """Where a dragged booking would land (a move), or where its end would be (a resize), on the grid's step."""
        item = drag.item
        if drag.resize:
            end = round(self.minutes_at(pos.y()) / SNAP_MINUTES) * SNAP_MINUTES
            drag.minutes = int(min(max(item.start_minutes + SNAP_MINUTES, end), 24 * 60))
            drag.day = item.day
            self.setCursor(Qt.CursorShape.SizeVerCursor)  # type: ignore[attr-defined]
        else:
            length = item.end_minutes - item.start_minutes
            minutes = round((self.minutes_at(pos.y()) - drag.grab_minutes) / SNAP_MINUTES) * SNAP_MINUTES
            drag.minutes = int(min(max(0, minutes), 24 * 60 - length))
            over = self.state.geometry(self.width()).day_at(pos.x())  # type: ignore[attr-defined]
            drag.day = over if over is not None else (drag.day if drag.day is not None else item.day)
            drag.column = self.column_at(pos.x())
            self.setCursor(Qt.CursorShape.ClosedHandCursor)  # type: ignore[attr-defined]
        self.update()  # type: ignore[attr-defined]

    def _band_to(self, band: _Band, pos: QPoint) -> None:
        """The range of free time swept from the press to the pointer, on the grid's step, in the press's column."""
        here = self.minutes_at(pos.y())
        low, high = min(band.pressed_minutes, here), max(band.pressed_minutes, here)
        band.start = int(max(0, math.floor(low / SNAP_MINUTES) * SNAP_MINUTES))
        band.end = int(min(24 * 60, max(band.start + SNAP_MINUTES, math.ceil(high / SNAP_MINUTES) * SNAP_MINUTES)))
        band.shown = True
        self.update()  # type: ignore[attr-defined]

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        band, self._band = self._band, None
        if band is not None:
            self.update()  # type: ignore[attr-defined]
            if band.shown:
                self._range_swept(band)
            else:
                self._free_time_clicked(band)
        drag, self._drag = self._drag, None
        if drag is not None and drag.day is not None:
            self.unsetCursor()  # type: ignore[attr-defined]
            self.update()  # type: ignore[attr-defined]
            self._dropped(drag)
        super().mouseReleaseEvent(event)  # type: ignore[misc]

    def _dropped(self, drag: _Drag) -> None:
        """Ask to move the booking where it was dropped (a new start; in a resource column, that resource), or to
        give it the length its bottom edge was dragged to (the same start)."""
        item = drag.item
        if drag.resize:
            if drag.minutes != item.end_minutes:
                start = _start_of(item)
                end = self._local(item.day, drag.minutes, start.tzinfo)
                elapsed = end.astimezone(timezone.utc) - start.astimezone(timezone.utc)  # instants: DST days
                self.move_requested.emit(item.key, start, int(elapsed.total_seconds() // 60), None)
            return
        resource = self.resource_of(drag.column)
        if resource is not None and resource.casefold() == (item.resource or "").casefold():
            resource = None  # its own chair: unchanged
        if (drag.day, drag.minutes) != (item.day, item.start_minutes) or resource is not None:
            self.move_requested.emit(item.key, self.drop_start(drag), None, resource)

    def _local(self, day: int, minutes: int, zone) -> datetime:  # noqa: ANN001 - a tzinfo
        """The wall time ``minutes`` after midnight of the shown week's ``day`` (1440: the next midnight)."""
        when = self.state.first_day + timedelta(days=day + minutes // (24 * 60))  # type: ignore[attr-defined]
        minutes %= 24 * 60
        return datetime.combine(when, time(minutes // 60, minutes % 60), zone)

    def _free_time_clicked(self, band: _Band) -> None:
        """A click on free time asks for a new booking at the quarter hour clicked (the service's own length), on
        the resource of the column clicked."""
        if self.state.zone is None:  # type: ignore[attr-defined]
            return
        minutes = int(band.pressed_minutes // SNAP_MINUTES * SNAP_MINUTES)
        minutes = min(max(0, minutes), 24 * 60 - SNAP_MINUTES)
        self.slot_requested.emit(self._local(band.day, minutes, self.state.zone), None,  # type: ignore[attr-defined]
                                 self.resource_of(band.column))

    def _range_swept(self, band: _Band) -> None:
        """A range swept over free time asks for a new booking of that start and length (on its column's
        resource)."""
        if self.state.zone is None:  # type: ignore[attr-defined]
            return
        start = self._local(band.day, band.start, self.state.zone)  # type: ignore[attr-defined]
        end = self._local(band.day, band.end, self.state.zone)  # type: ignore[attr-defined]
        self.slot_requested.emit(start, int((end.astimezone(timezone.utc) - start.astimezone(timezone.utc))
                                            .total_seconds() // 60), self.resource_of(band.column))

    def drop_start(self, drag: _Drag) -> datetime:
        """The local start a drop lands on: the shown week's day and the snapped wall time, in the item's zone."""
        return self._local(drag.day or 0, drag.minutes, drag.item.start.tzinfo)

    def cancel_drag(self) -> None:
        """Esc: the booking stays where it was, the range swept is dropped."""
        self._drag = self._band = None
        self.unsetCursor()  # type: ignore[attr-defined]
        self.update()  # type: ignore[attr-defined]

    @property
    def dragging(self) -> bool:
        return self._drag is not None and self._drag.day is not None

    @property
    def sweeping(self) -> bool:
        """A range of free time is being swept (its rubber band drawn)."""
        return self._band is not None and self._band.shown

    # --- painting over the frame -----------------------------------------------------------------------------------

    def paint_input(self, p: QPainter) -> None:
        """The focus ring (while the canvas has the keyboard), the dragged booking's landing place or new length,
        and the rubber band of a range swept over free time."""
        rect = self.focused_rect() if self.hasFocus() else None  # type: ignore[attr-defined]
        if rect is not None:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor("#ffffff"), 1))
            p.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 4, 4)
            p.setPen(QPen(FOCUS_RING, 2))
            p.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), 5, 5)
        ghost = self.ghost()
        if ghost is not None:
            self._paint_ghost(p, *ghost)

    def ghost(self) -> tuple[int, int | None, int, int, str] | None:
        """What a drag draws over the grid, if one is under way: (day, resource column, first and last minute,
        label) of the dragged booking's landing place, its new length, or the range swept over free time."""
        if self.dragging:
            drag = self._drag
            assert drag is not None and drag.day is not None
            item = drag.item
            if drag.resize:
                first, last = item.start_minutes, drag.minutes
                label = f"{item.title}\nuntil {clock_label(last // 60 % 24, last % 60)} ({_length(last - first)})"
            else:
                first = drag.minutes
                last = first + item.end_minutes - item.start_minutes
                label = f"{clock_label(first // 60, first % 60)} — {item.title}"
                resource = self.resource_of(drag.column)
                if resource is not None and resource.casefold() != (item.resource or "").casefold():
                    label += f"\n→ {resource}"
            return drag.day, drag.column, first, last, label
        if self.sweeping:
            band = self._band
            assert band is not None
            label = (f"New booking {clock_label(band.start // 60, band.start % 60)} – "
                     f"{clock_label(band.end // 60 % 24, band.end % 60)}\n{_length(band.end - band.start)}")
            resource = self.resource_of(band.column)
            return band.day, band.column, band.start, band.end, label + (f" · {resource}" if resource else "")
        return None

    def _paint_ghost(self, p: QPainter, day: int, column: int | None, first: int, last: int, label: str) -> None:
        left, width = self._lane_box(day, column)
        top, bottom = self.y_of(first), self.y_of(last)  # type: ignore[attr-defined]
        ghost = QRectF(left, top, width, max(16.0, bottom - top))
        fill = QColor(GHOST_FILL)
        fill.setAlpha(225)  # mostly opaque: its words stay readable over a booking it lands on
        p.setBrush(fill)
        p.setPen(QPen(GHOST, 2, Qt.PenStyle.DashLine))
        p.drawRoundedRect(ghost, 4, 4)
        p.setPen(GHOST.darker(150))
        p.drawText(ghost.adjusted(6, 2, -4, -2), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                   | Qt.TextFlag.TextWordWrap, label)


def _ends_here(item: CalendarItem) -> bool:
    """Whether the block shows the booking's real end (not a day's piece of one running past midnight)."""
    source = item.source
    return isinstance(source, AppointmentRow) and source.end.astimezone(item.end.tzinfo) == item.end


def _start_of(item: CalendarItem) -> datetime:
    """The booking's own local start (a block running past midnight shows a day's piece of it)."""
    source = item.source
    return source.start.astimezone(item.start.tzinfo) if isinstance(source, AppointmentRow) else item.start


def _length(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{minutes} min" if not hours else f"{hours} h" if not rest else f"{hours} h {rest} min"


__all__ = ["CanvasInput", "SNAP_MINUTES"]
