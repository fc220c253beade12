"""The agenda: the shown week as a list, day by day, from the same laid-out week the grid draws (items folded into
"+N more" chips included), each day's heading followed by who is on call that day. A list reads well with a screen
reader and by keyboard alone: the arrows move, Enter opens one of our bookings, the menu key (or Shift+F10) opens
its menu.

The rows live in a model (:class:`AgendaModel`): a new week is one reset, whatever it holds, and a row's hover text
is written when Qt asks for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPoint, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QListView, QWidget

from receptionist.ui import theme
from receptionist.ui.week_layout import CalendarItem, OnCallBand, WeekLayout, clock_label
from receptionist.ui.week_painting import item_color

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_HEADING, _TODAY, _EMPTY = QBrush(QColor("#334155")), QBrush(QColor("#1d4ed8")), QBrush(QColor("#64748b"))
_ON_CALL = QBrush(QColor(theme.ON_CALL_COLOR))


def agenda_rows(layout: WeekLayout) -> list[tuple[date, list[CalendarItem]]]:
    """Each day of the week with its items in order (all-day first), whether drawn or folded into a chip."""
    items = list(layout.items) + [item for chip in layout.chips for item in chip.hidden]
    days = []
    for n in range(7):
        of_day = sorted((i for i in items if i.day == n), key=lambda i: (not i.all_day, i.start, i.title))
        days.append((layout.first_day + timedelta(days=n), of_day))
    return days


def agenda_line(item: CalendarItem, calendar_labels: dict[str, str]) -> str:
    """``9:30 AM – 10:00 AM   Maria Lopez — Cleaning`` (``All day``, and the calendar's name for its events; our
    bookings whose time has come end with whether the caller came: ``✓ Attended``, ``✗ No-show``, ``⚠ Not
    marked``)."""
    when = "All day" if item.all_day else item.time_label or \
        f"{clock_label(item.start.hour, item.start.minute)} – {clock_label(item.end.hour, item.end.minute)}"
    line = f"{when}   {item.title}"
    if item.kind == "cancelled":
        line += "   (cancelled)"
    elif item.mark:
        line += f"   {item.mark}"
    elif item.kind == "external":
        line += f"   · {calendar_labels.get(item.calendar or '', item.calendar or '')}"
    return line


def on_call_line(bands: list[OnCallBand]) -> str:
    """``On call: Dr. Ana Ruiz until 8:00 AM · Dr. Bo Chen from 5:00 PM`` for one day's bands ("" when none)."""
    def span(band: OnCallBand) -> str:
        start, end = band.start_minutes, band.end_minutes
        if start == 0 and end == 24 * 60:
            return "all day"
        if start == 0:
            return f"until {clock_label(end // 60 % 24, end % 60)}"
        if end == 24 * 60:
            return f"from {clock_label(start // 60, start % 60)}"
        return f"{clock_label(start // 60, start % 60)} – {clock_label(end // 60, end % 60)}"

    return ("On call: " + " · ".join(f"{b.person} {span(b)}" for b in bands)) if bands else ""


@functools.lru_cache(maxsize=64)
def _text_brush(kind: str, calendar: str | None) -> QBrush:
    return QBrush(item_color(CalendarItem(kind, "", "", 0, _EPOCH, _EPOCH, calendar=calendar)).darker(130))


@dataclass(frozen=True)
class _Row:
    text: str
    item: CalendarItem | None = None
    heading: bool = False
    today: bool = False
    on_call: bool = False


class AgendaModel(QAbstractListModel):
    """Day headings, "Nothing booked", and one row per item; only items can be selected."""

    def __init__(self, calendar_labels: dict[str, str], describe: Callable[[CalendarItem], str],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.calendar_labels = calendar_labels
        self.describe = describe
        self.rows: list[_Row] = []
        self.bold = QFont()
        self.bold.setBold(True)

    def fill(self, layout: WeekLayout, today: date | None) -> None:
        rows = []
        for day, items in agenda_rows(layout):
            rows.append(_Row(f"{day:%A} {day.month}/{day.day}" + ("  · today" if day == today else ""), heading=True,
                             today=day == today))
            on_call = on_call_line([b for b in layout.bands if b.day == (day - layout.first_day).days])
            if on_call:
                rows.append(_Row("    " + on_call, on_call=True))
            if not items:
                rows.append(_Row("    Nothing booked"))
            rows += [_Row("    " + agenda_line(item, self.calendar_labels), item) for item in items]
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        row = self.rows[index.row()]
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable if row.item is not None \
            else Qt.ItemFlag.NoItemFlags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.text
        if role == ITEM_ROLE:
            return row.item
        if role == Qt.ItemDataRole.FontRole and row.heading:
            return self.bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.item is not None:
                return _text_brush(row.item.kind, row.item.calendar)
            if row.on_call:
                return _ON_CALL
            return (_TODAY if row.today else _HEADING) if row.heading else _EMPTY
        if role == Qt.ItemDataRole.ToolTipRole and row.item is not None:
            return self.describe(row.item)  # written when the pointer rests on it
        return None


class AgendaList(QListView):
    """Signals: item_clicked(CalendarItem), item_activated(CalendarItem), menu_requested(CalendarItem, QPoint)."""

    item_clicked = Signal(object)
    item_activated = Signal(object)
    menu_requested = Signal(object, QPoint)

    def __init__(self, calendar_labels: dict[str, str], describe: Callable[[CalendarItem], str],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("agenda")
        self.setAccessibleName("Agenda")
        self.setUniformItemSizes(True)  # rows of one height: a 2,000-row week is laid out without measuring each
        self.agenda = AgendaModel(calendar_labels, describe, self)
        self.setModel(self.agenda)
        self._shown: tuple[WeekLayout, date | None] | None = None
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._pointer_menu)
        self.activated.connect(self._activated)
        self.selectionModel().currentChanged.connect(lambda index, _old: self._clicked(index))

    def show_layout(self, layout: WeekLayout, today: date | None) -> None:
        """Show a laid-out week, keeping the booking that was current (the same layout: as it is)."""
        if self._shown is not None and self._shown[0] is layout and self._shown[1] == today:
            return
        self._shown = (layout, today)
        current = self.current()
        self.agenda.fill(layout, today)
        if current is not None:
            for n, row in enumerate(self.agenda.rows):
                if row.item is not None and (row.item.key, row.item.day) == (current.key, current.day):
                    self.selectionModel().blockSignals(True)
                    self.setCurrentIndex(self.agenda.index(n))
                    self.selectionModel().blockSignals(False)
                    break

    def select_first(self) -> None:
        """Make the first booking current (the keyboard arrives on a booking, not a day's heading)."""
        for n, row in enumerate(self.agenda.rows):
            if row.item is not None:
                self.setCurrentIndex(self.agenda.index(n))
                return

    def current(self) -> CalendarItem | None:
        index = self.currentIndex()
        return index.data(ITEM_ROLE) if index.isValid() else None

    def _clicked(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE) if index.isValid() else None
        if item is not None:
            self.item_clicked.emit(item)

    def _activated(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if item is not None and item.kind in ("appointment", "cancelled"):
            self.item_activated.emit(item)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        menu_key = event.key() == Qt.Key.Key_Menu or (
            event.key() == Qt.Key.Key_F10 and event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        item = self.current()
        if menu_key and item is not None:
            rect = self.visualRect(self.currentIndex())
            self._menu(item, self.viewport().mapToGlobal(rect.bottomLeft()))
            event.accept()
            return
        super().keyPressEvent(event)

    def _pointer_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        item = index.data(ITEM_ROLE) if index.isValid() else None
        if item is not None:
            self._menu(item, self.viewport().mapToGlobal(pos))

    def _menu(self, item: CalendarItem, at: QPoint) -> None:
        if item.kind == "appointment":
            self.menu_requested.emit(item, at)


__all__ = ["AgendaList", "AgendaModel", "agenda_line", "agenda_rows", "on_call_line"]
