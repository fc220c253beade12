"""The calendar shows resources: the day view of a location with chairs has a column per chair and one for what
takes none (a whole-location booking), named over the columns; a booking's chair is in its hover text; who is on
call for the day shown is named in the nav row; all-day events are reached by the keyboard in the grid. Driven by
the keyboard (D, Page Down, W, the arrows, Tab) and the mouse, over a real desk."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QToolTip

from receptionist import events
from receptionist.config import Profile
from receptionist.ui.appointment_dialog import AppointmentDialog
from receptionist.ui.calendar_view import WeekCalendarView
from receptionist.ui.operations import OperationRunner
from receptionist.ui.week_layout import OTHER_COLUMN
from tests.helpers.desk import make_desk
from tests.helpers.ui import item_rects
from tests.ui.test_calendar_keyboard import ext
from tests.ui.test_calendar_view import WeekService, all_day, appt, at, make_view  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui

CHICAGO = ZoneInfo("America/Chicago")
PROFILE = Profile.from_dict({
    "people": {"members": [{"name": "Dr. Ana Ruiz", "phone": "+13125550111"},
                           {"name": "Dr. Bo Chen", "phone": "+13125550112"}]},
    "availability": {
        "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]},
                     {"name": "Checkup", "duration_minutes": 30}],
        "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}],
        "on_call": [{"person": "Dr. Ana Ruiz", "hours": "08:00-18:00", "days": ["mon"]},
                    {"person": "Dr. Bo Chen", "hours": "08:00-18:00", "days": ["tue"]}]}})


def tuesday(hour: int) -> datetime:
    return datetime(2026, 11, 24, hour, tzinfo=CHICAGO).astimezone(timezone.utc)


@pytest.fixture
def view(qtbot, store, clock):
    desk = make_desk(store, PROFILE, events.EventBus(), {}, clock=clock)
    booked = [desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10), actor="Dr. Ana Ruiz"),
              desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10), actor="Dr. Ana Ruiz"),
              desk.appointments.book("Cy Diaz", "(312) 555-0101", "Checkup", tuesday(13), actor="Dr. Ana Ruiz")]
    assert [a.resource for a in booked] == ["Chair 1", "Chair 2", None]
    view = WeekCalendarView(desk.appointments, CHICAGO, clock, {}, on_call=desk.on_call)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.week_shown, timeout=3000):
        view.refresh()
    view.booked, view.availability = booked, desk.availability
    return view


def columns_of(view) -> dict[str, int]:
    """Which third of the day's column each booking's block sits in (0, 1, 2)."""
    geo = view.state.geometry(view.canvas.width())
    left, third = geo.column_x(view.state.days[0]), geo.column_width() / 3
    return {item.key: int((rect.center().x() - left) // third) for rect, item in item_rects(view.canvas)}


def test_the_day_view_has_a_column_per_chair_and_one_for_the_rest(qtbot, view):
    chair1, chair2, checkup = view.booked
    view.canvas.setFocus()
    assert view.state.layout.columns == ()  # the week: one column a day
    qtbot.keyClick(view.canvas, Qt.Key.Key_D)  # Monday (today)
    qtbot.keyClick(view.canvas, Qt.Key.Key_PageDown)  # Tuesday
    qtbot.waitUntil(lambda: view.state.layout.columns == ("Chair 1", "Chair 2", OTHER_COLUMN), timeout=3000)
    assert view.title_label.text().startswith("Tuesday")
    assert columns_of(view) == {chair1.id: 0, chair2.id: 1, checkup.id: 2}
    blocks = {item.key: rect for rect, item in item_rects(view.canvas)}
    assert blocks[chair1.id].right() < blocks[chair2.id].left()  # side by side, not on top of each other
    assert view.header.height() == view.header.minimumSizeHint().height() >= 30 + view.header.ROW
    # the chair is in the hover text, and a click opens the booking of that column
    assert view.tooltip_of(next(i for _, i in item_rects(view.canvas) if i.key == chair2.id)).splitlines()[2] \
        == "Chair 2"
    with qtbot.waitSignal(view.appointment_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=blocks[chair2.id].center().toPoint())
    assert clicked.args == [chair2.id]
    # the appointment dialog names the chair beside the service
    dialog = AppointmentDialog(view.weeks, view.weeks.get(chair2.id), zone=CHICAGO, calendars={}, sms_enabled=False,
                               operations=OperationRunner(view), queries=view.runner, availability=view.availability)
    qtbot.addWidget(dialog)
    assert dialog.fields["service"].text() == "Cleaning · Chair 2"
    qtbot.keyClick(view.canvas, Qt.Key.Key_W)  # the week again: whole-day columns
    assert view.state.layout.columns == () and view.state.layout is view.week_layout
    assert len({rect.left() for rect, _ in item_rects(view.canvas)}) == 2  # the chairs' lanes at 10, one at 1


def test_the_header_names_who_is_on_call_for_the_day_shown(qtbot, view):
    assert view.on_call_label.isVisible()
    assert view.on_call_label.text() == "On call: Dr. Ana Ruiz until 6:00 PM"  # now, Monday 9 AM
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_D)
    qtbot.keyClick(view.canvas, Qt.Key.Key_PageDown)
    assert view.on_call_label.text() == "On call: Dr. Bo Chen until 6:00 PM"  # Tuesday at noon
    assert "Dr. Bo Chen is on call" in view.on_call_label.toolTip()
    qtbot.keyClick(view.canvas, Qt.Key.Key_PageDown)
    assert view.on_call_label.text() == "On call: nobody"  # Wednesday
    qtbot.keyClick(view.canvas, Qt.Key.Key_T)
    assert view.on_call_label.text() == "On call: Dr. Ana Ruiz until 6:00 PM"


def test_without_resources_or_a_roster_nothing_changes(qtbot, store, clock, profile):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10))
    view = WeekCalendarView(desk.appointments, CHICAGO, clock, {}, on_call=desk.on_call)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    with qtbot.waitSignal(view.week_shown, timeout=3000):
        view.refresh()
    view.show_day(tuesday(10).astimezone(CHICAGO).date())
    qtbot.waitUntil(lambda: len(item_rects(view.canvas)) == 1, timeout=3000)
    assert view.week_layout.by_resource is None and view.state.layout.columns == ()
    assert not view.on_call_label.isVisible() and view.header.height() == 30
    [(rect, _)] = item_rects(view.canvas)
    geo = view.state.geometry(view.canvas.width())
    assert rect.width() > geo.column_width() - 12  # the whole day's width
    assert view.canvas.rect().contains(QPoint(int(rect.center().x()), int(rect.center().y())))


# --- all-day events by keyboard -------------------------------------------------------------------------------------


def test_all_day_events_are_reached_by_the_keyboard_first_in_their_day(qtbot, make_view):
    """Tuesday's all-day "Out o" comes before Tuesday's timed event in the reading order: Right from Monday 9 AM lands
    on the nearest start (10:30), Up goes to the all-day one, Down back and Up again; the strip draws the ring while
    the grid has the keyboard, Enter says what it is, and Tab walks through it."""
    service = WeekService([appt("a", at(23, 9))], [all_day("o", 24), ext("x", at(24, 10, 30))])
    view = make_view(service)
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=2000)
    qtbot.keyClick(view, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert view.canvas.hasFocus() and view.canvas.focused().key == "a"
    seen = []
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Up):
        qtbot.keyClick(view.canvas, key)
        seen.append(view.canvas.focused().key.split("/")[-1])
    assert seen == ["x", "o", "x", "o"]
    focused = view.canvas.focused()
    assert focused.all_day and view.canvas.focused_rect() is None  # not on the grid: the strip rings it
    assert view.canvas.accessibleDescription() == "Out o. All day · Google Calendar"
    rect = next(b.rect for b in view.header.blocks() if b.target is focused)
    ring = QPoint(int(rect.center().x()), int(rect.top() - 2))
    assert QColor(view.header.grab().toImage().pixel(ring)).lightness() < 80
    view.today_button.setEnabled(True)
    view.today_button.setFocus()
    assert QColor(view.header.grab().toImage().pixel(ring)).lightness() > 200
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_Return)  # a calendar's event: its text is shown, nothing of ours opens
    qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text().startswith("Out o"), timeout=2000)
    QToolTip.hideText()
    qtbot.keyClick(view.canvas, Qt.Key.Key_Home)
    walked = [view.canvas.focused().key.split("/")[-1]]
    for _ in range(2):
        qtbot.keyClick(view.canvas, Qt.Key.Key_Tab)
        walked.append(view.canvas.focused().key.split("/")[-1])
    assert walked == ["a", "o", "x"]
