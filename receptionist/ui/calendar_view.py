"""The calendar view (location time, the zone named) merging our appointments with the connected calendars'
events: a Day, Week and Agenda switch, navigation, the legend, the day header and hours canvas of
:mod:`receptionist.ui.week_painting` (one column in the day view) and the agenda list of
:mod:`receptionist.ui.agenda_view`.

The week is read and laid out on a worker (:func:`~receptionist.ui.week_layout.read_week_layout` on the
:class:`~receptionist.ui.operations.QueryRunner`); the GUI thread only paints the result that lands. The day view
shows one column of the same week's layout.

Keys while the calendar has the keyboard: D, W, A (day, week, agenda), T (today), Page Up / Page Down (previous or
next day or week); in the grid the arrows, Tab, Home and End move between bookings, Enter opens one, the menu key
opens its menu, N a new booking there (:mod:`receptionist.ui.week_input`); a click on free time books there too, a
range swept over it books that range, and a booking's bottom edge dragged changes its length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_datetime, format_time
from receptionist.domain.on_call import covering
from receptionist.domain.models import SyncState
from receptionist.services.appointments import Appointments
from receptionist.services.on_call import OnCallDesk
from receptionist.ui import theme
from receptionist.ui.agenda_view import AgendaList
from receptionist.ui.operations import QueryRunner
from receptionist.ui.week_layout import (
    CalendarItem,
    MoreChip,
    WeekLayout,
    chip_tooltip,
    item_tooltip,
    marks_due,
    read_week_layout,
    week_start,
    week_title,
)
from receptionist.ui.week_painting import DAY_START_HOUR, WEEK, DayHeader, Target, WeekCanvas, WeekState

DAY, WEEK_VIEW, AGENDA = "day", "week", "agenda"

def _legend_chip(color: str, text: str, dot: bool = False) -> QLabel:
    shape = "●" if dot else "■"
    label = QLabel(f'<span style="color:{color}; font-size:14px;">{shape}</span>&nbsp;{text}')
    label.setObjectName("legend")
    return label


def day_title(day: date) -> str:
    return f"{day:%A}, {day:%b} {day.day}, {day.year}"


class WeekCalendarView(QWidget):
    """Day / Week / Agenda switch, navigation, legend, and the day header with the scrolling hours canvas (or the
    agenda list).

    The week is read and laid out on a worker (``runner``, a :class:`QueryRunner`); the view keeps showing what it
    has until the result lands, and a newer request (the next week, fresh news) supersedes an older one.

    Signals:
        appointment_clicked(str): an appointment of ours was clicked (its id).
        appointment_activated(str): Enter or a double-click on one of ours: open it.
        appointment_context_menu_requested(str, QPoint): right-click or the menu key on one of ours (its id, the
            global position); the window builds the menu.
        appointment_move_requested(str, datetime, int | None, str | None): one of ours dragged to a new local start
            (into a resource column: that resource), or its bottom edge to a new length in minutes (its own start);
            the window asks for confirmation.
        booking_requested(datetime, int | None, str | None): a new booking at this local start (a click on free
            time, or N), of this length (a range swept over free time; None: the service's) on this resource (the
            day view's resource column it was made in; None: the rule picks).
        week_shown(date): a read week landed and is drawn (its Monday).
    """

    appointment_clicked = Signal(str)
    appointment_activated = Signal(str)
    appointment_context_menu_requested = Signal(str, QPoint)
    appointment_move_requested = Signal(str, object, object, object)
    booking_requested = Signal(object, object, object)
    week_shown = Signal(object)

    def __init__(self, weeks: Appointments, zone: ZoneInfo, now: Callable[[], datetime],
                 calendar_labels: Mapping[str, str] | None = None, runner: QueryRunner | None = None,
                 parent: QWidget | None = None, on_call: OnCallDesk | None = None):
        super().__init__(parent)
        self.weeks = weeks  # reads a week (Appointments.week)
        self.zone = zone
        self.calendar_labels = dict(calendar_labels or {})
        self._now = now
        self.runner = runner or QueryRunner(self)
        first_day = week_start(self.today())
        self.on_call = on_call  # who is on call: read with each week, banded in the grid, named in the nav row
        self._on_call_read: date | None = None  # the week whose read named who is on call (the nav row waits for it)
        self.week_layout = WeekLayout(first_day)  # the week read; the day view may show it in resource columns
        self.state = WeekState(first_day=first_day, layout=self.week_layout, zone=zone)
        self.mode = WEEK_VIEW
        self._zone_name = ""
        self.day = self.today()  # the day the day view shows (kept inside the shown week)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        nav = QHBoxLayout()
        nav.setSpacing(6)
        title = QLabel("Calendar")
        title.setObjectName("panelTitle")
        title.setToolTip("Alt+L: to the bookings, then the arrows, Tab, Enter and the menu key")
        self.prev_button = QPushButton("‹")
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Today (T)")
        self.next_button = QPushButton("›")
        for b in (self.prev_button, self.next_button):
            b.setObjectName("navArrow")
            b.setFixedWidth(34)
        self.title_label = QLabel()
        self.title_label.setObjectName("weekTitle")
        self.loading_label = QLabel("Loading…")
        self.loading_label.setObjectName("muted")
        self.loading_label.hide()
        self.zone_label = QLabel()
        self.zone_label.setObjectName("muted")
        self.on_call_label = QLabel()
        self.on_call_label.setObjectName("muted")
        self.on_call_label.hide()
        self.mode_buttons: dict[str, QPushButton] = {}
        self.mode_group = QButtonGroup(self)
        modes = QHBoxLayout()
        modes.setSpacing(0)
        for mode, text, key in ((DAY, "Day", "D"), (WEEK_VIEW, "Week", "W"), (AGENDA, "Agenda", "A")):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setObjectName("viewSwitch")
            button.setToolTip(f"{text} view ({key})")
            button.setAccessibleName(f"{text} view")
            button.clicked.connect(lambda _checked=False, mode=mode: self.set_mode(mode))
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            modes.addWidget(button)
        self.mode_buttons[WEEK_VIEW].setChecked(True)
        nav.addWidget(title)
        nav.addSpacing(8)
        nav.addWidget(self.prev_button)
        nav.addWidget(self.today_button)
        nav.addWidget(self.next_button)
        nav.addSpacing(8)
        nav.addWidget(self.title_label)
        nav.addWidget(self.loading_label)
        nav.addStretch(1)
        nav.addWidget(self.on_call_label)
        nav.addSpacing(8)
        nav.addWidget(self.zone_label)
        nav.addSpacing(8)
        nav.addLayout(modes)
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
        self.canvas.strip, self.header.keyboard = self.header, self.canvas  # the keyboard reaches all-day events
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
        self.agenda = AgendaList(self.calendar_labels, self.tooltip_of)
        self.stack = QStackedWidget()
        self.stack.addWidget(frame)
        self.stack.addWidget(self.agenda)
        layout.addWidget(self.stack, 1)
        self._build_legend()

        self.prev_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(1))
        self.today_button.clicked.connect(self.go_today)
        self.canvas.item_clicked.connect(self._clicked)
        self.header.item_clicked.connect(self._clicked)
        self.agenda.item_clicked.connect(self._clicked)
        for source in (self.canvas, self.agenda):
            source.item_activated.connect(self._activated)
            source.menu_requested.connect(lambda item, at: self.appointment_context_menu_requested.emit(item.key, at))
        self.canvas.focus_moved.connect(self._scroll_to)
        self.canvas.move_requested.connect(self.appointment_move_requested)
        self.canvas.slot_requested.connect(self.booking_requested)
        for widget in (self.canvas, self.header):
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            widget.customContextMenuRequested.connect(
                lambda pos, widget=widget: self._context_menu(widget, pos))
        keys = ((("D",), lambda: self.set_mode(DAY)), (("W",), lambda: self.set_mode(WEEK_VIEW)),
                (("A",), lambda: self.set_mode(AGENDA)), (("T",), self.go_today),
                (("PgUp",), lambda: self.go(-1)), (("PgDown",), lambda: self.go(1)),
                (("N",), self.new_booking_here))
        for sequences, slot in keys:
            for sequence in sequences:
                QShortcut(QKeySequence(sequence), self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Alt+L"), self, self.focus_bookings, context=Qt.ShortcutContext.WindowShortcut)
        self._set_nav_tooltips()

    def focus_bookings(self) -> None:
        """Alt+L: the keyboard to the bookings (the grid, or the agenda list)."""
        if self.mode == AGENDA:
            self.agenda.setFocus(Qt.FocusReason.ShortcutFocusReason)
            if self.agenda.current() is None:
                self.agenda.select_first()
        else:
            self.canvas.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def new_booking_here(self) -> None:
        """N: a new booking where the keyboard is — right after the focused booking, else the shown day's (or
        today's) next quarter hour from now or its opening hour; in the day view's resource columns, on the chair
        of the focused booking's column, else of the column under the pointer (``WeekCanvas.resource_here``)."""
        focused = self.canvas.focused() if self.mode != AGENDA else self.agenda.current()
        if isinstance(focused, CalendarItem) and not focused.all_day:
            start = focused.end
        else:
            now = self._now().astimezone(self.zone)
            day = self.day if self.mode == DAY else (now.date() if week_start(now.date()) == self.state.first_day
                                                     else self.state.first_day)
            opening = datetime.combine(day, time(DAY_START_HOUR + 2), self.zone)
            later = now + timedelta(minutes=15 - now.minute % 15)
            start = max(opening, later.replace(second=0, microsecond=0)) if day == now.date() else opening
        self.booking_requested.emit(start, None, self.canvas.resource_here() if self.mode == DAY else None)

    def _build_legend(self) -> None:
        self.legend.addWidget(_legend_chip(theme.APPOINTMENT_COLOR, "Our bookings"))
        self.on_call_legend = _legend_chip(theme.ON_CALL_COLOR, "On call")
        self.on_call_legend.hide()  # shown once a week read finds a roster or an on-call calendar
        self.legend.addWidget(self.on_call_legend)
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
        sync.setWordWrap(True)  # a narrow calendar (1366×768) wraps the states rather than cutting the last ones
        sync.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.legend.addWidget(sync, 1)

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

    # --- day, week, agenda ------------------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """Show the day (one column of the shown week), the week, or the week as an agenda list."""
        self.mode = mode
        self.mode_buttons[mode].setChecked(True)
        if mode == DAY and not 0 <= (self.day - self.state.first_day).days < 7:
            self.day = self.today() if week_start(self.today()) == self.state.first_day else self.state.first_day
        self.state.days = ((self.day - self.state.first_day).days,) if mode == DAY else WEEK
        self._show_layout()
        self._show_on_call()
        self.stack.setCurrentWidget(self.agenda if mode == AGENDA else self.stack.widget(0))
        self._set_nav_tooltips()
        self._show_title()
        self.header.update()
        self.canvas.update()
        if mode == AGENDA:
            self.agenda.show_layout(self.week_layout, self.state.today)
        if self.focusWidget() is not None and self.isAncestorOf(self.focusWidget()):
            (self.agenda if mode == AGENDA else self.canvas).setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_nav_tooltips(self) -> None:
        unit = "day" if self.mode == DAY else "week"
        self.prev_button.setToolTip(f"Previous {unit} (Page Up)")
        self.next_button.setToolTip(f"Next {unit} (Page Down)")
        self.prev_button.setAccessibleName(f"Previous {unit}")
        self.next_button.setAccessibleName(f"Next {unit}")

    def go(self, steps: int) -> None:
        """The previous (-1) or next (1) day in the day view, week otherwise."""
        if self.mode == DAY:
            self.show_day(self.day + timedelta(days=steps))
        else:
            self.show_week(self.state.first_day + timedelta(days=7 * steps))

    def go_today(self) -> None:
        if self.mode == DAY:
            self.show_day(self.today())
        else:
            self.show_week(week_start(self.today()))

    def show_day(self, day: date) -> None:
        """The day view of ``day`` (its week read if it is not the one shown)."""
        self.day = day
        self.mode = DAY
        self.mode_buttons[DAY].setChecked(True)
        if week_start(day) == self.state.first_day:
            self.set_mode(DAY)
        self.show_week(week_start(day))

    def _show_title(self) -> None:
        self.title_label.setText(day_title(self.day) if self.mode == DAY else week_title(self.state.first_day))
        self.canvas.setAccessibleName(("Bookings of " + day_title(self.day)) if self.mode == DAY
                                      else f"Bookings of the week {week_title(self.state.first_day)}")

    def show_week(self, first_day: date) -> None:
        """Go to ``first_day``'s week: its empty grid at once, "Loading…" until its items land."""
        first_day = week_start(first_day)
        if first_day != self.state.first_day:
            self.state.first_day, self.week_layout = first_day, WeekLayout(first_day)
            self.state.layout = self.week_layout
            if self.mode == DAY and week_start(self.day) != first_day:
                self.day = first_day
            self.set_mode(self.mode)
            self.loading_label.show()
            self.header.refresh()
            self.canvas.refresh()
        self.refresh()

    def refresh(self) -> None:
        """Ask for the shown week: read and laid out on a worker, drawn when it lands (``week_shown``). A week that
        comes back as it is shown (news about a booking elsewhere) is not drawn again."""
        first_day = self.state.first_day
        self._show_title()
        self._move_now()
        weeks, zone, shown, now, on_call = self.weeks, self.zone, self.week_layout, self._now(), self.on_call

        def read() -> WeekLayout:
            layout = read_week_layout(weeks, first_day, zone, now, on_call)
            return shown if layout == shown else layout

        self.runner.run("week", read, self._week_read)

    def _week_read(self, layout: WeekLayout) -> None:
        self.loading_label.hide()
        if layout is not self.week_layout:
            self.week_layout = layout
            self._on_call_read = layout.first_day
            self._show_layout()
            self._show_on_call()
            if self.mode == AGENDA:
                self.agenda.show_layout(layout, self.state.today)
        self.week_shown.emit(layout.first_day)

    def tick(self) -> None:
        """Move the "now" line and today's highlight (the main window calls this every minute); a booking that has
        begun since the week was read gets its "⚠ Not marked" (the week is read again)."""
        self._move_now()
        if marks_due(self.week_layout, self._now()):
            self.refresh()

    def _move_now(self) -> None:
        now = self._now().astimezone(self.zone)
        self.state.now_local, self.state.today = now, now.date()
        self.today_button.setEnabled(now.date() != self.day if self.mode == DAY
                                     else week_start(now.date()) != self.state.first_day)
        self._zone_name = now.tzname() or self.zone.key
        self._show_zone()
        self._show_on_call()
        self.zone_label.setToolTip(f"Times are shown in the location's time zone, {self.zone.key}, now "
                                   f"{now.tzname()}.")
        self.zone_label.setAccessibleName(f"Time zone {self.zone.key}, {now.tzname()}")
        self.header.update()
        self.canvas.update()

    def _show_layout(self) -> None:
        """The week read, or in the day view its resource columns when the location has resources."""
        layout = self.week_layout
        if self.mode == DAY and layout.by_resource is not None:
            layout = layout.by_resource
        if layout is not self.state.layout:
            self.state.layout = layout
            self.header.refresh()
            self.canvas.refresh()

    def _show_on_call(self) -> None:
        """Who is on call, from the shifts read with the week (no SQL here): now when today is shown, else at noon
        of the day shown (the week's first day in the week view); hidden without a roster or on-call calendar."""
        if self._on_call_read != self.state.first_day:
            return  # the week's read has not landed: the row keeps what it said until it does
        read = self.week_layout.on_call
        shown_any = bool(read.source)
        self.on_call_label.setVisible(shown_any)
        self.on_call_legend.setVisible(shown_any)
        if not shown_any:
            return
        now = self._now()
        shown = self.day if self.mode == DAY else self.state.first_day
        today_shown = (shown == now.astimezone(self.zone).date() if self.mode == DAY
                       else week_start(now.astimezone(self.zone).date()) == self.state.first_day)
        at = now if today_shown else datetime.combine(shown, time(12), self.zone)
        current = covering(read.shifts, at)
        where = "the on-call calendar" if read.source == "calendar" else "the profile's on-call roster"
        if current is not None:
            text = f"On call: {current.person} until {format_time(current.end, self.zone)}"
            said = f"{current.person} is on call until {format_datetime(current.end, self.zone)}"
        else:
            text, said = "On call: nobody", "Nobody is on call then"
        said += f" (from {where})."
        if read.stale:
            text += " ⚠"
            said += f" Out of date: {read.stale}."
        self.on_call_label.setText(text)
        self.on_call_label.setToolTip(said)
        self.on_call_label.setAccessibleName(said)
        self.on_call_legend.setToolTip(f"Shaded bands: who is on call, from {where}")

    def scroll_to_hour(self, hour: int) -> None:
        self.scroll.verticalScrollBar().setValue(int(self.canvas.y_of(hour * 60)) - 4)

    def _show_zone(self) -> None:
        """``America/Chicago (CST)``; a narrow calendar names the abbreviation only (the tooltip has the rest)."""
        wide = self.width() >= 1000
        self.zone_label.setText(f"{self.zone.key.replace('_', ' ')} ({self._zone_name})" if wide
                                else self._zone_name)

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - QResizeEvent
        super().resizeEvent(event)
        self._show_zone()

    def _scroll_to(self, rect: QRect) -> None:
        self.scroll.ensureVisible(rect.center().x(), rect.center().y(), 10, rect.height() // 2 + 12)

    def _clicked(self, item: CalendarItem) -> None:
        if item.kind in ("appointment", "cancelled"):
            self.appointment_clicked.emit(item.key)

    def _activated(self, item: CalendarItem) -> None:
        if item.kind in ("appointment", "cancelled"):
            self.appointment_activated.emit(item.key)

    def _context_menu(self, widget: QWidget, pos: QPoint) -> None:
        item = widget.target_at(pos)
        if isinstance(item, CalendarItem) and item.kind == "appointment":
            self.appointment_context_menu_requested.emit(item.key, widget.mapToGlobal(pos))


__all__ = ["WeekCalendarView"]
