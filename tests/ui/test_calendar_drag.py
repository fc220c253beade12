"""Dragging in the calendar, in the real window over a real desk with two chairs: a booking's bottom edge (the
pointer turns into a resize arrow there) dragged changes its length, confirmed like a move; a press on free time
dragged sweeps a range (drawn as a rubber band on the quarter hours) and books that start and length — in the day
view's chair columns, on the chair pressed in; a booking dropped into another chair's column takes that chair, or is
refused with the reason when the chair is busy then. Every drop's confirmation names the calendars it updates and
the text that goes (or why none), and after Reschedule the links are Pending."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor

from receptionist.config import Profile
from receptionist.domain.models import SyncState
from receptionist.ui.appointment_dialog import RescheduleDialog
from tests.helpers.ui import opened
from tests.ui.test_appointment_actions import settle, window  # noqa: F401 - fixture
from tests.ui.test_calendar_keyboard import mouse
from tests.ui.test_calendar_view import WeekService, appt, make_view  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui

CHICAGO = ZoneInfo("America/Chicago")
RESOURCES = {"availability": {
    "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]},
                 {"name": "Checkup", "duration_minutes": 30}],
    "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}]}}


@pytest.fixture
def profile() -> Profile:
    return Profile.from_dict(RESOURCES)


def tuesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=CHICAGO)


def booked(qtbot, win, desk, *who: tuple[str, int]) -> list[str]:
    """Cleanings booked at the desk on Tuesday (name, hour), shown in the calendar; their ids."""
    ids = [desk.desk.appointments.book(name, "(312) 555-0100", "Cleaning", tuesday(hour)).id for name, hour in who]
    win.calendar.refresh()
    qtbot.waitUntil(lambda: {i.key for i in win.calendar.items} >= set(ids), timeout=3000)
    return ids


def block_of(win, key: str):
    return next(b.rect for b in win.calendar.canvas.frame().blocks() if b.target.key == key)


def sweep(canvas, start: QPointF, end: QPointF, release: bool = True) -> None:
    mouse(canvas, QEvent.Type.MouseButtonPress, start)
    for n in range(1, 6):
        mouse(canvas, QEvent.Type.MouseMove, start + (end - start) * (n / 5))
    if release:
        mouse(canvas, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def day_view_of_tuesday(qtbot, win) -> None:
    win.calendar.show_day(tuesday(9).date())
    qtbot.waitUntil(lambda: win.calendar.state.layout.columns == ("Chair 1", "Chair 2", "Other"), timeout=3000)


def column_x(win, column: int) -> float:
    """The middle of a chair's column in the day view."""
    canvas = win.calendar.canvas
    geo = win.calendar.state.geometry(canvas.width())
    share = geo.column_width() / len(win.calendar.state.layout.columns)
    return geo.column_x(win.calendar.state.days[0]) + share * (column + 0.5)


def plan_text(qtbot, dialog, text: str) -> str:
    qtbot.waitUntil(lambda: text in dialog.plan.said.text(), timeout=3000)
    return " ".join(dialog.plan.lines())


@pytest.mark.sms
def test_resizing_by_the_bottom_edge_confirms_naming_calendars_and_text_then_links_go_pending(qtbot, window, desk):
    [appt_id] = booked(qtbot, window, desk, ("Ana Ruiz", 10))
    canvas = window.calendar.canvas
    rect = block_of(window, appt_id)
    edge = QPointF(rect.center().x(), rect.bottom() - 1)  # within EDGE_PX of its bottom
    mouse(canvas, QEvent.Type.MouseMove, edge, Qt.MouseButton.NoButton)
    assert canvas.cursor().shape() == Qt.CursorShape.SizeVerCursor  # the edge can be taken
    mouse(canvas, QEvent.Type.MouseMove, QPointF(rect.center().x(), rect.center().y()), Qt.MouseButton.NoButton)
    assert canvas.cursor().shape() != Qt.CursorShape.SizeVerCursor  # the middle moves it
    sweep(canvas, edge, QPointF(edge.x(), canvas.y_of(11 * 60 + 30) + 2), release=False)
    assert canvas.dragging and canvas.ghost()[-1] == "Ana Ruiz — Cleaning\nuntil 11:30 AM (1 h 30 min)"
    mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(edge.x(), canvas.y_of(11 * 60 + 30) + 2),
          Qt.MouseButton.NoButton)
    dialog = opened(qtbot, window, "action_dialog")
    assert isinstance(dialog, RescheduleDialog) and dialog.close_button.text() == "Cancel"
    assert (dialog.time_edit.time().hour(), dialog.length_spin.value()) == (10, 90)  # the same start, longer
    said = plan_text(qtbot, dialog, "will be updated")
    assert "Calendars: Google Calendar, Outlook will be updated at the next sync." in said
    assert "Text: A text to (312) 555-0100 will tell Ana the new time." in said
    assert dialog.notify_check.isChecked()  # a drop offers the text when one can go
    qtbot.mouseClick(dialog.notify_check, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.notify_check.height() // 2))
    assert not dialog.notify_check.isChecked()
    assert "Text: No text: “Text the caller about the change” is not ticked." in " ".join(dialog.plan.lines())
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    moved = desk.desk.appointments.get(appt_id)
    assert (moved.start, moved.end) == (tuesday(10), tuesday(11, 30))
    assert {link.state for link in moved.links} == {SyncState.PENDING} and len(moved.links) == 2


def test_sweeping_free_time_books_that_range_and_a_click_the_services_length(qtbot, window, desk):
    canvas = window.calendar.canvas
    geo = window.calendar.state.geometry(canvas.width())
    x = geo.column_x(2) + geo.column_width() / 2  # Wednesday
    before = canvas.grab().toImage()
    sweep(canvas, QPointF(x, canvas.y_of(14 * 60) + 5), QPointF(x, canvas.y_of(15 * 60 + 10)), release=False)
    assert canvas.sweeping and canvas.ghost() == (2, None, 14 * 60, 15 * 60 + 15,
                                                  "New booking 2:00 PM – 3:15 PM\n1 h 15 min")
    middle = QPointF(x, canvas.y_of(14 * 60 + 40)).toPoint()
    during = canvas.grab().toImage()
    assert QColor(during.pixel(middle)) != QColor(before.pixel(middle))  # the rubber band is drawn
    mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(x, canvas.y_of(15 * 60 + 10)), Qt.MouseButton.NoButton)
    assert not canvas.sweeping
    dialog = opened(qtbot, window, "booking_dialog")
    assert (dialog.time_edit.time().hour(), dialog.time_edit.time().minute()) == (14, 0)
    assert dialog.length_spin.value() == 75 and dialog.resource_edit.currentData() is None  # the week: first free
    dialog.close()
    # a click (no sweep) books at the quarter hour clicked, the service's own length
    at = QPointF(x, canvas.y_of(9 * 60 + 20))
    mouse(canvas, QEvent.Type.MouseButtonPress, at)
    mouse(canvas, QEvent.Type.MouseButtonRelease, at, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: window.booking_dialog is not None and window.booking_dialog is not dialog, timeout=3000)
    clicked = window.booking_dialog
    assert (clicked.time_edit.time().hour(), clicked.time_edit.time().minute()) == (9, 15)
    assert clicked.length_spin.value() == 60  # Cleaning's


def test_esc_drops_a_sweep(qtbot, window, desk):
    canvas = window.calendar.canvas
    geo = window.calendar.state.geometry(canvas.width())
    x = geo.column_x(3) + geo.column_width() / 2
    sweep(canvas, QPointF(x, canvas.y_of(10 * 60) + 5), QPointF(x, canvas.y_of(11 * 60)), release=False)
    assert canvas.sweeping
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not canvas.sweeping
    mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(x, canvas.y_of(11 * 60)), Qt.MouseButton.NoButton)
    assert window.booking_dialog is None


def test_a_range_swept_in_a_chairs_column_books_on_that_chair(qtbot, window, desk):
    day_view_of_tuesday(qtbot, window)
    canvas = window.calendar.canvas
    x = column_x(window, 1)  # Chair 2
    sweep(canvas, QPointF(x, canvas.y_of(13 * 60) + 3), QPointF(x, canvas.y_of(13 * 60 + 40)), release=False)
    assert canvas.ghost()[-1] == "New booking 1:00 PM – 1:45 PM\n45 min · Chair 2"
    mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(x, canvas.y_of(13 * 60 + 40)), Qt.MouseButton.NoButton)
    dialog = opened(qtbot, window, "booking_dialog")
    assert dialog.resource_edit.currentData() == "Chair 2" and dialog.length_spin.value() == 45
    qtbot.keyClicks(dialog.caller_edit, "Ana Ruiz")
    qtbot.keyClicks(dialog.phone_edit, "(312) 555-0199")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    [appt] = desk.desk.appointments.between()
    assert (appt.start, appt.end, appt.resource) == (tuesday(13), tuesday(13, 45), "Chair 2")


def drop_in_column(win, key: str, column: int) -> None:
    canvas = win.calendar.canvas
    rect = block_of(win, key)
    start = QPointF(rect.center().x(), rect.top() + 4)
    sweep(canvas, start, QPointF(column_x(win, column), start.y()), release=False)
    assert canvas.ghost()[1] == column and canvas.ghost()[-1].endswith(f"\n→ Chair {column + 1}")
    mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(column_x(win, column), start.y()), Qt.MouseButton.NoButton)


def test_a_drop_in_another_chairs_column_takes_that_chair_after_confirming(qtbot, window, desk):
    [ana] = booked(qtbot, window, desk, ("Ana Ruiz", 10))
    day_view_of_tuesday(qtbot, window)
    assert desk.desk.appointments.get(ana).resource == "Chair 1"
    drop_in_column(window, ana, 1)
    dialog = opened(qtbot, window, "action_dialog")
    said = plan_text(qtbot, dialog, "Chair 2")
    assert "Chair or room: Chair 1 → Chair 2." in said
    assert "Text: No text: texting is off for this location (twilio.enabled = false)." in said
    assert not dialog.notify_check.isChecked() and dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    moved = desk.desk.appointments.get(ana)
    assert (moved.start, moved.resource) == (tuesday(10), "Chair 2")
    assert {link.state for link in moved.links} == {SyncState.PENDING}


def test_a_drop_on_a_busy_chair_is_refused_saying_why(qtbot, window, desk):
    ana, bo = booked(qtbot, window, desk, ("Ana Ruiz", 10), ("Bo Lee", 10))
    day_view_of_tuesday(qtbot, window)
    assert [desk.desk.appointments.get(i).resource for i in (ana, bo)] == ["Chair 1", "Chair 2"]
    drop_in_column(window, ana, 1)  # onto Bo's chair, at the same time
    dialog = opened(qtbot, window, "action_dialog")
    said = plan_text(qtbot, dialog, "Cannot move it there")
    assert said.startswith("Cannot move it there: Chair 2 is not free then: overlaps Cleaning")
    qtbot.waitUntil(lambda: not dialog.ok_button.isEnabled(), timeout=3000)
    qtbot.waitUntil(lambda: "is not free" in dialog.suggestions.verdict.text(), timeout=3000)
    assert "Bo Lee" in dialog.suggestions.verdict.text() or "Cleaning" in dialog.suggestions.verdict.text()
    dialog.reject()
    assert desk.desk.appointments.get(ana).resource == "Chair 1"
    assert window.calendar.canvas.resource_of(2) is None  # the last column, "Other", takes no chair


# --- DST days: a length is the time that passes, not the wall clock's difference ------------------------------------

@pytest.mark.parametrize("day, booked_at, resized_to, swept, minutes", [
    # spring forward (Sun 3/8/2026): from 1:30 AM CST to 4:00 AM CDT is 90 minutes; 1:00 to 3:30 AM is 90 too
    (date(2026, 3, 8), datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc), 4 * 60, (60, 210), (90, 90)),
    # fall back (Sun 11/1/2026): from 1:30 AM CDT to 2:30 AM CST is 120 minutes; 1:00 to 2:00 AM is 120 too
    (date(2026, 11, 1), datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc), 150, (60, 120), (120, 120)),
])
def test_on_dst_days_a_resize_and_a_sweep_ask_for_the_time_that_passes(qtbot, make_view, day, booked_at, resized_to,
                                                                         swept, minutes):
    service = WeekService([appt("early", booked_at, 30)])
    service.now = datetime.combine(day, time(0), CHICAGO).astimezone(timezone.utc)
    view = make_view(service)
    with qtbot.waitSignal(view.week_shown, timeout=3000):
        view.show_day(day)
    canvas = view.canvas
    rect = next(b.rect for b in canvas.frame().blocks() if b.target.key == "early")
    edge = QPointF(rect.center().x(), rect.bottom() - 1)
    with qtbot.waitSignal(view.appointment_move_requested, timeout=1000) as resized:
        sweep(canvas, edge, QPointF(edge.x(), canvas.y_of(resized_to) + 2))
    assert resized.args == ["early", booked_at.astimezone(CHICAGO), minutes[0], None]
    x = view.state.geometry(canvas.width()).column_x(6) + canvas.width() / 2  # right of the booking
    first, last = swept
    with qtbot.waitSignal(view.booking_requested, timeout=1000) as asked:
        sweep(canvas, QPointF(x, canvas.y_of(first) + 2), QPointF(x, canvas.y_of(last) - 2))
    start, length, resource = asked.args
    assert (start.hour, start.minute, start.fold, length, resource) == (1, 0, 0, minutes[1], None)
