"""The week calendar view (Mon–Sun, location time) merging our appointments with the connected calendars' events:
week navigation, the legend, and the day header and hours canvas of :mod:`receptionist.ui.week_painting`.

The week is read and laid out on a worker (:func:`~receptionist.ui.week_layout.read_week_layout` on the
:class:`~receptionist.ui.operations.QueryRunner`); the GUI thread only paints the result that lands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from receptionist.domain.models import SyncState
from receptionist.services.appointments import Appointments
from receptionist.ui import theme
from receptionist.ui.operations import QueryRunner
from receptionist.ui.week_layout import (
    CalendarItem,
    MoreChip,
    WeekLayout,
    chip_tooltip,
    item_tooltip,
    read_week_layout,
    week_start,
    week_title,
)
from receptionist.ui.week_painting import DayHeader, Target, WeekCanvas, WeekState

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
        self.state = WeekState(first_day=first_day, layout=WeekLayout(first_day))

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
        self.header = DayHeader(self.state, self.tooltip_of)
        self.canvas = WeekCanvas(self.state, self.tooltip_of)
        self.scroll = QScrollArea()
        self.scroll.setAccessibleName("The week")
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


__all__ = ["WeekCalendarView"]
