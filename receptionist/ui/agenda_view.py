"""The agenda: the shown week as a list, day by day, from the same laid-out week the grid draws (items folded into
"+N more" chips included). A list reads well with a screen reader and by keyboard alone: the arrows move, Enter opens
one of our bookings, the menu key (or Shift+F10) opens its menu.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
from datetime import date, datetime, timedelta, timezone

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QHelpEvent, QKeyEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QToolTip, QWidget

from receptionist.ui.week_layout import CalendarItem, WeekLayout, clock_label
from receptionist.ui.week_painting import item_color

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1


def agenda_rows(layout: WeekLayout) -> list[tuple[date, list[CalendarItem]]]:
    """Each day of the week with its items in order (all-day first), whether drawn or folded into a chip."""
    items = list(layout.items) + [item for chip in layout.chips for item in chip.hidden]
    days = []
    for n in range(7):
        of_day = sorted((i for i in items if i.day == n), key=lambda i: (not i.all_day, i.start, i.title))
        days.append((layout.first_day + timedelta(days=n), of_day))
    return days


def agenda_line(item: CalendarItem, calendar_labels: dict[str, str]) -> str:
    """``9:30 AM – 10:00 AM  Maria Lopez — Cleaning`` (``All day``, and the calendar's name for its events)."""
    when = "All day" if item.all_day else item.time_label or \
        f"{clock_label(item.start.hour, item.start.minute)} – {clock_label(item.end.hour, item.end.minute)}"
    line = f"{when}   {item.title}"
    if item.kind == "cancelled":
        line += "   (cancelled)"
    elif item.kind == "external":
        line += f"   · {calendar_labels.get(item.calendar or '', item.calendar or '')}"
    return line


@functools.lru_cache(maxsize=64)
def _text_brush(kind: str, calendar: str | None) -> QBrush:
    return QBrush(item_color(CalendarItem(kind, "", "", 0, _EPOCH, _EPOCH, calendar=calendar)).darker(130))


_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


class AgendaList(QListWidget):
    """Signals: item_clicked(CalendarItem), item_activated(CalendarItem), menu_requested(CalendarItem, QPoint)."""

    item_clicked = Signal(object)
    item_activated = Signal(object)
    menu_requested = Signal(object, QPoint)

    def __init__(self, calendar_labels: dict[str, str], describe: Callable[[CalendarItem], str],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.calendar_labels = calendar_labels
        self.describe = describe
        self.setObjectName("agenda")
        self.setAccessibleName("Agenda")
        self.setUniformItemSizes(True)  # rows of one height: a 2,000-row week is laid out without measuring each
        self._shown: tuple[WeekLayout, date | None] | None = None
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._pointer_menu)
        self.itemActivated.connect(lambda row: self._activated(row))
        self.currentItemChanged.connect(lambda row, _old: self._clicked(row))

    def viewportEvent(self, event: QEvent) -> bool:
        """A row's hover text is written when the pointer rests on it (formatting 2,000 of them up front is slow)."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            row = self.itemAt(event.pos())
            item = row.data(ITEM_ROLE) if row is not None else None
            if item is not None:
                QToolTip.showText(event.globalPos(), self.describe(item), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def show_layout(self, layout: WeekLayout, today: date | None) -> None:
        """Fill the list from a laid-out week, keeping the booking that was current (the same layout: as it is)."""
        if self._shown is not None and self._shown[0] is layout and self._shown[1] == today:
            return
        self._shown = (layout, today)
        current = self.current()
        self.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        keep = None
        for day, items in agenda_rows(layout):
            heading = QListWidgetItem(f"{day:%A} {day.month}/{day.day}" + ("  · today" if day == today else ""))
            heading.setFont(bold)
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            heading.setForeground(QBrush(QColor("#1d4ed8" if day == today else "#334155")))
            self.addItem(heading)
            if not items:
                empty = QListWidgetItem("    Nothing booked")
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
                empty.setForeground(QBrush(QColor("#64748b")))
                self.addItem(empty)
            for item in items:
                row = QListWidgetItem("    " + agenda_line(item, self.calendar_labels))
                row.setData(ITEM_ROLE, item)
                row.setForeground(_text_brush(item.kind, item.calendar))
                self.addItem(row)
                if current is not None and (item.key, item.day) == (current.key, current.day):
                    keep = row
        if keep is not None:
            self.blockSignals(True)
            self.setCurrentItem(keep)
            self.blockSignals(False)

    def select_first(self) -> None:
        """Make the first booking current (the keyboard arrives on a booking, not a day's heading)."""
        for n in range(self.count()):
            if self.item(n).data(ITEM_ROLE) is not None:
                self.setCurrentRow(n)
                return

    def current(self) -> CalendarItem | None:
        row = self.currentItem()
        return row.data(ITEM_ROLE) if row is not None else None

    def _clicked(self, row: QListWidgetItem | None) -> None:
        item = row.data(ITEM_ROLE) if row is not None else None
        if item is not None:
            self.item_clicked.emit(item)

    def _activated(self, row: QListWidgetItem) -> None:
        item = row.data(ITEM_ROLE)
        if item is not None and item.kind in ("appointment", "cancelled"):
            self.item_activated.emit(item)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        menu_key = event.key() == Qt.Key.Key_Menu or (
            event.key() == Qt.Key.Key_F10 and event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        item = self.current()
        if menu_key and item is not None:
            rect = self.visualItemRect(self.currentItem())
            self._menu(item, self.viewport().mapToGlobal(rect.bottomLeft()))
            event.accept()
            return
        super().keyPressEvent(event)

    def _pointer_menu(self, pos: QPoint) -> None:
        row = self.itemAt(pos)
        item = row.data(ITEM_ROLE) if row is not None else None
        if item is not None:
            self._menu(item, self.viewport().mapToGlobal(pos))

    def _menu(self, item: CalendarItem, at: QPoint) -> None:
        if item.kind == "appointment":
            self.menu_requested.emit(item, at)


__all__ = ["AgendaList", "agenda_line", "agenda_rows"]
