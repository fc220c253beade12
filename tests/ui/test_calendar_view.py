"""The week view's widgets: the week is read off the GUI thread, the painted frame is built once per (layout, size),
busy slots fold into "+N more" chips, and tooltips are written only on hover."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from sqlalchemy import event

from receptionist.config import Profile
from receptionist.domain.models import AppointmentRow, AppointmentStatus, ExternalEventRecord
from receptionist.services import WeekView
from receptionist.services.context import location_rules
from receptionist.ui import week_layout
from receptionist.ui.calendar_view import WeekCalendarView
from receptionist.ui.week_layout import MAX_LANES, cap_lanes, layout_week
from tests.helpers.ui import item_rects

pytestmark = pytest.mark.gui

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = date(2026, 11, 23)


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO).astimezone(timezone.utc)


def appt(aid, start, minutes=30, phone="+13125550142"):
    return AppointmentRow(aid, start, start + timedelta(minutes=minutes), f"Caller {aid}", phone, "Cleaning",
                          AppointmentStatus.CONFIRMED)


def all_day(rid, day):
    start = datetime(2026, 11, day, tzinfo=CHICAGO)
    return ExternalEventRecord("google:primary", rid, f"Out {rid}", start, start + timedelta(days=1), True, True, None)


class WeekService:
    """What the week view reads (``Appointments.week``), over records in memory; notes the thread of each read."""

    def __init__(self, appointments=(), external=(), cancelled=()):
        self.rules = location_rules(Profile())
        self.now = at(23, 9)
        self.appointments, self.external, self.cancelled = list(appointments), list(external), list(cancelled)
        self.read_threads: list[threading.Thread] = []
        self.open = threading.Event()  # cleared, reads wait: a slow database
        self.open.set()

    def clock(self) -> datetime:
        return self.now

    def week(self, first_day: date) -> WeekView:
        self.read_threads.append(threading.current_thread())
        assert self.open.wait(5)
        start = datetime.combine(first_day, datetime.min.time(), CHICAGO).astimezone(timezone.utc)
        end = start + timedelta(days=7)
        def inside(records):
            return [r for r in records if r.end > start and r.start < end]
        return WeekView(start, end, inside(self.appointments), inside(self.external), inside(self.cancelled))


@pytest.fixture
def make_view(qtbot):
    def make(desk: WeekService) -> WeekCalendarView:
        view = WeekCalendarView(desk, desk.rules.zone, desk.clock, {"google:primary": "Google Calendar"})
        qtbot.addWidget(view)
        view.resize(1000, 700)
        view.show()
        qtbot.waitExposed(view)
        with qtbot.waitSignal(view.week_shown, timeout=3000):
            view.refresh()
        return view
    return make


def test_the_week_is_read_on_a_worker_not_the_gui_thread(make_view):
    desk = WeekService([appt("a", at(24, 10))])
    view = make_view(desk)
    assert [i.key for i in view.items] == ["a"]
    assert desk.read_threads and threading.main_thread() not in desk.read_threads


def test_the_real_service_runs_no_query_on_the_gui_thread(qtbot, desk):
    query_threads = []
    listen = lambda *_args: query_threads.append(threading.current_thread())  # noqa: E731
    event.listen(desk.store.engine, "before_cursor_execute", listen)
    try:
        view = WeekCalendarView(desk.desk.appointments, desk.desk.context.rules.zone, desk.clock)
        qtbot.addWidget(view)
        view.show()
        with qtbot.waitSignal(view.week_shown, timeout=3000):
            view.refresh()
        with qtbot.waitSignal(view.week_shown, timeout=3000):
            qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    finally:
        event.remove(desk.store.engine, "before_cursor_execute", listen)
    assert query_threads and threading.main_thread() not in query_threads


def test_another_week_shows_its_empty_grid_until_its_items_land(qtbot, make_view):
    desk = WeekService([appt("this", at(24, 10)), appt("next", at(24, 10) + timedelta(days=7))])
    view = make_view(desk)
    desk.open.clear()
    with qtbot.waitSignal(view.week_shown, timeout=3000) as landed:
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
        qtbot.wait(20)  # the window keeps running while the read waits
        assert view.items == [] and view.first_day == MONDAY + timedelta(days=7)  # not last week's blocks
        assert view.loading_label.isVisible()
        desk.open.set()
    assert landed.args == [MONDAY + timedelta(days=7)]
    assert [i.key for i in view.items] == ["next"] and not view.loading_label.isVisible()


def test_painting_again_reuses_the_frame_and_only_new_data_or_a_new_size_rebuilds_it(qtbot, make_view):
    desk = WeekService([appt("a", at(24, 10)), appt("b", at(25, 14, 30), 90)])
    view = make_view(desk)
    canvas = view.canvas
    canvas.grab()
    frame = canvas.frame()
    assert {b.target.key for b in frame.blocks()} == {"a", "b"}
    canvas.grab()
    canvas.repaint()
    assert canvas.frame() is frame  # painting twice does not lay out, elide or format again

    view.resize(1200, 800)
    qtbot.waitUntil(lambda: canvas.width() > frame.size.width(), timeout=2000)
    canvas.grab()
    resized = canvas.frame()
    assert resized is not frame and resized.size == canvas.size()

    with qtbot.waitSignal(view.week_shown, timeout=3000):
        view.refresh()  # news about something else: the week reads back as it is shown
    canvas.grab()
    assert canvas.frame() is resized  # nothing laid out, elided or rendered again

    desk.appointments.append(appt("c", at(26, 9)))
    with qtbot.waitSignal(view.week_shown, timeout=3000):
        view.refresh()
    assert canvas.frame() is not resized
    assert {b.target.key for b in canvas.frame().blocks()} == {"a", "b", "c"}


def test_the_grid_and_blocks_render_once_and_paints_copy_the_exposed_part(make_view):
    desk = WeekService([appt("mon-9", at(23, 9)), appt("fri-9", at(27, 9))])
    view = make_view(desk)
    canvas = view.canvas
    canvas.grab()
    backdrop = canvas.backdrop()
    canvas.repaint(0, 0, 80, 40)  # an exposed strip, as when scrolling
    view.tick()  # the minute timer moves the "now" line: drawn on top, the backdrop stays
    canvas.grab()
    assert canvas.backdrop() is backdrop
    assert canvas.grab().toImage() == canvas.grab().toImage()

    desk.now = at(24, 9)  # midnight passed: today's column moves, so the backdrop is rendered again
    view.tick()
    canvas.grab()
    assert canvas.backdrop() is not backdrop and canvas.frame().backdrop_key[1] == date(2026, 11, 24)


def test_many_overlapping_items_fold_into_a_more_chip_that_lists_them(qtbot, make_view):
    crowd = [appt(f"p{n:02}", at(24, 10)) for n in range(12)]  # twelve bookings at Tuesday 10:00
    view = make_view(WeekService(crowd + [appt("later", at(24, 15))]))
    shown = [i for i in view.items if i.day == 1 and i.start.hour == 10]
    assert len(shown) == MAX_LANES - 1 and {i.lanes for i in shown} == {MAX_LANES}
    (chip,) = view.chips
    assert chip.text == "+9 more" and chip.lane == MAX_LANES - 1 and chip.day == 1
    assert {i.key for i in shown} | {i.key for i in chip.hidden} == {f"p{n:02}" for n in range(12)}
    assert [i.lanes for i in view.items if i.key == "later"] == [1]  # a quiet hour keeps its full width

    rect = next(b.rect for b in view.canvas.frame().blocks() if b.target is chip)
    assert "Caller p" in view.tooltip_of(chip) and len(view.tooltip_of(chip).splitlines()) == 9
    clicked = []
    view.appointment_clicked.connect(clicked.append)
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    menu = view.canvas.more_menu
    assert menu is not None and len(menu.actions()) == 9
    menu.actions()[0].trigger()
    assert clicked == [chip.hidden[0].key]


def test_a_cancelled_booking_is_drawn_struck_through_and_says_why(qtbot, make_view):
    gone = replace(appt("gone", at(24, 10)), status=AppointmentStatus.CANCELLED, cancel_reason="caller is ill")
    view = make_view(WeekService([appt("kept", at(24, 10))], cancelled=[gone]))
    kinds = {i.key: i.kind for i in view.items}
    assert kinds == {"kept": "appointment", "gone": "cancelled"}
    blocks = {b.target.key: b for b in view.canvas.frame().blocks()}
    assert blocks["gone"].strike is not None and blocks["kept"].strike is None
    assert blocks["gone"].dots == ()  # its events are being deleted: no sync dots to read
    gone_item = next(i for i in view.items if i.key == "gone")
    assert view.tooltip_of(gone_item).splitlines()[1] == "Cancelled: caller is ill"
    clicked = []
    view.appointment_clicked.connect(clicked.append)
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=blocks["gone"].rect.center().toPoint())
    assert clicked == ["gone"]


def test_folded_items_are_grouped_by_the_half_hour_they_start_in():
    crowd = [appt(f"a{n}", at(24, 10), 90) for n in range(6)] + [appt(f"b{n}", at(24, 10, 40)) for n in range(2)]
    items = layout_week(WeekView(at(23, 0), at(30, 0), crowd, []), MONDAY, CHICAGO)
    layout = cap_lanes(MONDAY, items, max_lanes=4, slot_minutes=30)
    assert len(layout.items) == 3 and {i.lanes for i in layout.items} == {4}
    assert [(c.start.strftime("%H:%M"), c.end.strftime("%H:%M"), c.text) for c in layout.chips] == \
        [("10:00", "10:30", "+3 more"), ("10:30", "11:00", "+2 more")]
    assert sum(len(c.hidden) for c in layout.chips) + len(layout.items) == len(crowd)


def test_a_crowded_all_day_strip_keeps_two_rows_and_a_chip_that_lists_the_rest(qtbot, make_view):
    items = layout_week(WeekView(at(23, 0), at(30, 0), [], [all_day(f"e{n}", 25) for n in range(5)]),
                        MONDAY, CHICAGO)
    layout = cap_lanes(MONDAY, items, max_rows=3)
    assert sorted(i.lane for i in layout.items) == [0, 1]
    (chip,) = layout.chips
    assert chip.all_day and chip.lane == 2 and chip.text == "+3 more"

    view = make_view(WeekService(external=[all_day(f"e{n}", 25) for n in range(5)]))
    (block,) = [b for b in view.header.blocks() if b.target in view.chips]
    assert block.title == "+3 more"
    qtbot.mouseClick(view.header, Qt.MouseButton.LeftButton, pos=block.rect.center().toPoint())
    assert [a.text() for a in view.header.more_menu.actions()] == [i.title for i in block.target.hidden]


def test_tooltips_are_written_on_hover_not_up_front(qtbot, make_view, monkeypatch):
    formatted = []

    def fake_format_phone(number, region="US"):
        formatted.append(number)
        return f"phone {number}"

    monkeypatch.setattr(week_layout, "format_phone", fake_format_phone)
    view = make_view(WeekService([appt(f"a{n}", at(23 + n % 5, 8 + n % 9)) for n in range(40)]))
    view.canvas.grab()
    assert formatted == []  # reading, laying out and painting 40 bookings formatted no phone number

    rect, item = item_rects(view.canvas)[0]
    pos = rect.center().toPoint()
    QApplication.sendEvent(view.canvas, QHelpEvent(QEvent.Type.ToolTip, pos, view.canvas.mapToGlobal(pos)))
    assert formatted == [item.source.callback_number]
    assert QToolTip.isVisible() and f"phone {item.source.callback_number}" in QToolTip.text()
    gutter = QPoint(2, 2)
    QApplication.sendEvent(view.canvas, QHelpEvent(QEvent.Type.ToolTip, gutter, view.canvas.mapToGlobal(gutter)))
    assert formatted == [item.source.callback_number]  # the hour gutter: nothing to describe
