"""The hours canvas's keyboard and mouse: the focus moves between bookings with the arrows, Tab, Home and End (a
ring marks it; its description is the canvas's accessible description), Enter opens the booking, the menu key (or
Shift+F10) opens its menu; dragging one of our bookings shows where it would go, on the grid's quarter hours, and
asks to move it there when dropped; Esc cancels the drag; a click on free time asks for a new booking there.

:class:`CanvasInput` is mixed into :class:`~receptionist.ui.week_painting.WeekCanvas`, which provides the frame,
the geometry and the signals named below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QColor, QFocusEvent, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QApplication, QToolTip

from receptionist.ui import week_keys
from receptionist.ui.week_layout import CalendarItem, MoreChip, clock_label

SNAP_MINUTES = 15  # a dragged booking lands on the grid's quarter hours
FOCUS_RING = QColor("#0f172a")
GHOST = QColor("#0f766e")

_MOVES = {Qt.Key.Key_Up: week_keys.UP, Qt.Key.Key_Down: week_keys.DOWN, Qt.Key.Key_Left: week_keys.LEFT,
          Qt.Key.Key_Right: week_keys.RIGHT, Qt.Key.Key_Home: week_keys.FIRST, Qt.Key.Key_End: week_keys.LAST}


@dataclass
class _Drag:
    item: CalendarItem
    pressed_at: QPoint
    grab_minutes: float  # from the booking's start to where it was taken
    day: int | None = None  # where it would land; None until the pointer has moved far enough
    minutes: int = 0


class CanvasInput:
    """Keyboard focus and dragging for the hours canvas (see the module's docstring)."""

    state: object  # WeekState
    describe: Callable
    item_activated: Signal  # CalendarItem: Enter or a double-click on it
    menu_requested: Signal  # (CalendarItem, QPoint): the menu key on one of ours; the global position
    focus_moved: Signal  # QRect: the focused block, to scroll into view
    move_requested: Signal  # (appointment id, local start): one of ours dropped at another time
    slot_requested: Signal  # local start: a click on free time (a new booking there)

    def _init_input(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # type: ignore[attr-defined]
        self._drag: _Drag | None = None
        self._empty_press: QPoint | None = None  # a press on free time: a click there books it
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

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Escape and self._drag is not None:
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

    # --- the mouse: focus, open, drag ----------------------------------------------------------------------------

    def minutes_at(self, y: float) -> float:
        return self.first_hour * 60 + (y - self.TOP) / self.hour_height() * 60  # type: ignore[attr-defined]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        target = self.target_at(pos)  # type: ignore[attr-defined]
        if target is not None:
            self.state.focused = target  # type: ignore[attr-defined]
        self._empty_press = pos if target is None and event.button() == Qt.MouseButton.LeftButton else None
        if event.button() == Qt.MouseButton.LeftButton and isinstance(target, CalendarItem) \
                and target.kind == "appointment":
            self._drag = _Drag(target, pos, self.minutes_at(pos.y()) - target.start_minutes)
        super().mousePressEvent(event)  # type: ignore[misc]

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        target = self.target_at(event.position().toPoint())  # type: ignore[attr-defined]
        if isinstance(target, CalendarItem) and target.kind in ("appointment", "cancelled"):
            self.item_activated.emit(target)
        super().mouseDoubleClickEvent(event)  # type: ignore[misc]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        drag = self._drag
        if drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            if drag.day is not None or (pos - drag.pressed_at).manhattanLength() >= QApplication.startDragDistance():
                length = drag.item.end_minutes - drag.item.start_minutes
                minutes = round((self.minutes_at(pos.y()) - drag.grab_minutes) / SNAP_MINUTES) * SNAP_MINUTES
                drag.minutes = int(min(max(0, minutes), 24 * 60 - length))
                over = self.state.geometry(self.width()).day_at(pos.x())  # type: ignore[attr-defined]
                drag.day = over if over is not None else (drag.day if drag.day is not None else drag.item.day)
                self.setCursor(Qt.CursorShape.ClosedHandCursor)  # type: ignore[attr-defined]
                self.update()  # type: ignore[attr-defined]
        super().mouseMoveEvent(event)  # type: ignore[misc]

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pressed, self._empty_press = self._empty_press, None
        pos = event.position().toPoint()
        if pressed is not None and (pos - pressed).manhattanLength() < QApplication.startDragDistance():
            self._free_time_clicked(pos)
        drag, self._drag = self._drag, None
        if drag is not None and drag.day is not None:
            self.unsetCursor()  # type: ignore[attr-defined]
            self.update()  # type: ignore[attr-defined]
            if (drag.day, drag.minutes) != (drag.item.day, drag.item.start_minutes):
                self.move_requested.emit(drag.item.key, self.drop_start(drag))
        super().mouseReleaseEvent(event)  # type: ignore[misc]

    def _free_time_clicked(self, pos: QPoint) -> None:
        """A click on free time asks for a new booking at the quarter hour clicked."""
        day = self.state.geometry(self.width()).day_at(pos.x())  # type: ignore[attr-defined]
        if day is None or self.state.zone is None:  # type: ignore[attr-defined]
            return
        minutes = int(self.minutes_at(pos.y()) // SNAP_MINUTES * SNAP_MINUTES)
        minutes = min(max(0, minutes), 24 * 60 - SNAP_MINUTES)
        when = self.state.first_day + timedelta(days=day)  # type: ignore[attr-defined]
        self.slot_requested.emit(datetime.combine(when, time(minutes // 60, minutes % 60), self.state.zone))

    def drop_start(self, drag: _Drag) -> datetime:
        """The local start a drop lands on: the shown week's day and the snapped wall time, in the item's zone."""
        day = self.state.first_day + timedelta(days=drag.day or 0)  # type: ignore[attr-defined]
        return datetime.combine(day, time(drag.minutes // 60, drag.minutes % 60), drag.item.start.tzinfo)

    def cancel_drag(self) -> None:
        """Esc: the booking stays where it was."""
        self._drag = None
        self.unsetCursor()  # type: ignore[attr-defined]
        self.update()  # type: ignore[attr-defined]

    @property
    def dragging(self) -> bool:
        return self._drag is not None and self._drag.day is not None

    # --- painting over the frame -----------------------------------------------------------------------------------

    def paint_input(self, p: QPainter) -> None:
        """The focus ring (while the canvas has the keyboard) and the dragged booking's landing place."""
        rect = self.focused_rect() if self.hasFocus() else None  # type: ignore[attr-defined]
        if rect is not None:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor("#ffffff"), 1))
            p.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 4, 4)
            p.setPen(QPen(FOCUS_RING, 2))
            p.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), 5, 5)
        if not self.dragging:
            return
        drag = self._drag
        assert drag is not None and drag.day is not None
        geo = self.state.geometry(self.width())  # type: ignore[attr-defined]
        length = drag.item.end_minutes - drag.item.start_minutes
        top, bottom = self.y_of(drag.minutes), self.y_of(drag.minutes + length)  # type: ignore[attr-defined]
        ghost = QRectF(geo.column_x(drag.day) + 3, top, geo.column_width() - 6, max(16.0, bottom - top))
        fill = QColor(GHOST)
        fill.setAlpha(60)
        p.setBrush(fill)
        p.setPen(QPen(GHOST, 2, Qt.PenStyle.DashLine))
        p.drawRoundedRect(ghost, 4, 4)
        p.setPen(GHOST.darker(150))
        p.drawText(ghost.adjusted(6, 2, -4, -2), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                   f"{clock_label(drag.minutes // 60, drag.minutes % 60)} — {drag.item.title}")


__all__ = ["CanvasInput", "SNAP_MINUTES"]
